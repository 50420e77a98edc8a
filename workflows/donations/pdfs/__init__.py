"""What the donations process renders (through `documents`) and seals (through `signing`):
`pdfs.receipts` (each confirmed donation's receipt) and `pdfs.reports` (each published usage
report)."""

DONATION_RECEIPT = "donation_receipt"
USAGE_REPORT = "usage_report"
