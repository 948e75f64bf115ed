#!/usr/bin/env bash
# Write today's pledge summary as dated markdown, and exit non-zero when a pledge is overdue,
# so that cron mails the output (cron mails whatever a job prints, and a wrapper such as
# `chronic` or a monitoring hook can alert on the exit status).
#
# It only writes files: committing or sending them is left to whoever reads them.
#
# Usage: daily-summary.sh [OUTPUT_FOLDER]   (TRACKER_DB names the store, as for any command)
set -euo pipefail

folder="${1:-$HOME/pledge-reports}"
mkdir -p "$folder"
today="$(date +%F)"
report="$folder/summary-$today.md"

# The markdown is written whatever happens; --fail-on makes the exit status say whether
# anything is overdue (4), and any other failure (a damaged or locked store: 3) passes through.
status=0
tracker report summary --format markdown --output "$report" --fail-on overdue || status=$?

if [ "$status" -eq 4 ]; then
  echo "Overdue pledges as of $today (full summary: $report):"
  tracker report overdue
fi
exit "$status"
