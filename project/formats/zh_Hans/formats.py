"""Django's Simplified Chinese formats, with amounts grouped by thousands as Chinese receipts
and financial statements print them (¥1,234,567.89): Django's own groups nothing."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
