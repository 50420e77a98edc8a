"""The forms of the donation pages, one module per area: `forms.projects`, `forms.donations`,
`forms.reports`."""
