// Runs the console page's script in Node against a live console (argv[2]: its base URL), with
// a minimal DOM and Node's EventSource (run with --experimental-eventsource); prints what each
// part rendered once the live stream's first round ended (its first tick), as JSON. With
// argv[3], a subject, it then clicks that subject's diff button (old version 1) and waits for
// the diff.
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
let ticked;
const firstTick = new Promise((resolve) => { ticked = resolve; });
const streams = [];
globalThis.EventSource = class extends EventSource {
  constructor(url) { super(base + url); streams.push(this); }
  addEventListener(type, fn) {
    super.addEventListener(type, type === "tick" ? (event) => { fn(event); ticked(); } : fn);
  }
};
new Function(script)();
await firstTick;
for (const s of streams) s.close();
if (subject) await listeners["#schemas click"]({ target: { dataset: { subject, old: "1" } } });
const out = Object.fromEntries(Object.entries(elements).map(([k, v]) => [k, v.innerHTML || v.textContent]));
process.stdout.write(JSON.stringify(out));
process.exit(0);
