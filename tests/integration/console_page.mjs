// Runs the console page's script in Node against a live console (argv[2]: its base URL), with
// a minimal DOM; prints what each part rendered after the first poll, as JSON. With argv[3], a
// subject, it then clicks that subject's diff button (old version 1) and waits for the diff.
const [base, subject] = process.argv.slice(2);
const html = await (await fetch(base + "/")).text();
const script = html.slice(html.indexOf("<script>") + 8, html.indexOf("</script>"));
const elements = {}, listeners = {};
const element = (key) => (elements[key] ??= {
  innerHTML: "", textContent: "", addEventListener(type, fn) { listeners[`${key} ${type}`] = fn; },
});
globalThis.document = { querySelector: element, getElementById: element };
const realFetch = globalThis.fetch;
globalThis.fetch = (url, options) => realFetch(base + url, options);
let polled;
const firstPoll = new Promise((resolve) => { polled = resolve; });
new Function("setTimeout", script)(() => polled());  // the page's next poll: not taken
await firstPoll;
if (subject) await listeners["#schemas click"]({ target: { dataset: { subject, old: "1" } } });
const out = Object.fromEntries(Object.entries(elements).map(([k, v]) => [k, v.innerHTML || v.textContent]));
process.stdout.write(JSON.stringify(out));
