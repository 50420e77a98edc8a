from django import template

from audit.labels import action_label, state_label

register = template.Library()

register.filter("action_label", action_label)
register.filter("state_label", state_label)
