"""The SQL the demo runs over the lake, as a user would type it into `tide sql`."""

TOP_PAGES_PER_MINUTE = """
SELECT strftime(window_start, '%H:%M') AS minute, page, clicks
FROM clicks_per_minute
WHERE emit = 'FINAL'
QUALIFY row_number() OVER (PARTITION BY minute ORDER BY clicks DESC, page) <= 3
ORDER BY minute, clicks DESC
"""

REVENUE_PER_MINUTE = """
SELECT strftime(window_start, '%H:%M') AS minute, region, payments,
       round(revenue_cents / 100.0, 2) AS revenue_eur,
       round(mean_payment_cents / 100.0, 2) AS mean_eur
FROM revenue_per_region
WHERE emit = 'FINAL'
ORDER BY minute, revenue_eur DESC
"""

PLACED_ORDERS = "SELECT count(*) FROM orders WHERE payload.OrderPlaced IS NOT NULL"

PAID_ORDERS = "SELECT count(*) FROM orders WHERE payload.OrderPaid IS NOT NULL"

ORDERS_PER_REGION = """
SELECT region,
       count(*) FILTER (WHERE payload.OrderPlaced IS NOT NULL) AS placed,
       count(*) FILTER (WHERE payload.OrderPaid IS NOT NULL) AS paid,
       count(*) FILTER (WHERE payload.OrderShipped IS NOT NULL) AS shipped,
       count(*) FILTER (WHERE payload.OrderCancelled IS NOT NULL) AS cancelled,
       round(sum(payload.OrderPaid.amount_cents) / 100.0, 2) AS revenue_eur
FROM orders
GROUP BY region
ORDER BY revenue_eur DESC NULLS LAST
"""

CLICKS_LANDED = "SELECT count(*) AS clicks FROM clicks"
