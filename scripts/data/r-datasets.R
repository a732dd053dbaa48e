# Writes two datasets of Debian's r-cran-fbasics as CSV files that `alpha data ingest` reads
# (scripts/data/r-datasets.sh runs it; docs/lake.md, "Real data", says what they hold).
#   dowjones30.csv  date,symbol,close  — DowJones30: 2529 days (1990-12-31 … 2001-01-02) × 30 stocks,
#                   daily closes; R holds it wide (a date column named "X.Y..m..d", then one column per
#                   ticker), written here long, one row per stock and day.
#   usdthb.csv      time,symbol,bid,ask  — usdthb: 2984 Reuters USD/THB quotes of June 1997, XDATE
#                   YYYYMMDDhhmm (written as YYYY-MM-DD hh:mm); DELAY, CONTRIBUTOR and FLAG are left out.
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
suppressMessages(library(fBasics))
data(DowJones30)
dj <- DowJones30
dates <- as.character(dj[[1]])
tickers <- names(dj)[-1]
long <- data.frame(
  date = rep(dates, times = length(tickers)),
  symbol = rep(tickers, each = length(dates)),
  close = unlist(lapply(tickers, function(t) dj[[t]]), use.names = FALSE)
)
long <- long[order(long$date, long$symbol), ]
write.csv(long, file.path(out, "dowjones30.csv"), row.names = FALSE, quote = FALSE)

data(usdthb)
x <- sprintf("%.0f", usdthb$XDATE)
ticks <- data.frame(
  time = paste0(substr(x, 1, 4), "-", substr(x, 5, 6), "-", substr(x, 7, 8), " ", substr(x, 9, 10), ":", substr(x, 11, 12)),
  symbol = "USDTHB",
  bid = usdthb$BID,
  ask = usdthb$ASK
)
write.csv(ticks, file.path(out, "usdthb.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("DowJones30: %d days x %d stocks; usdthb: %d quotes\n", nrow(dj), length(tickers), nrow(ticks)))
