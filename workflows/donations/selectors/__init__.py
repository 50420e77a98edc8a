"""Reads of donation projects, donations and usage reports, each scoped to who may see it (404
for missing and not yours). Callers import the module they need: `selectors.projects`,
`selectors.donations`, `selectors.reports`, `selectors.public`, `selectors.statistics`, and
`selectors.totals`, the sums all of them agree on."""
