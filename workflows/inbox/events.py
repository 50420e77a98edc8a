"""The events one process app publishes for others (`registry.publish`), with the plain values
each carries: the contract between apps that do not import each other.

ACTIVITY_COMPLETED (workflows.activities, inside the completing transaction):
    activity_id, organization_id, title, served_on (date), service_hours (Decimal), points
    (int), attended: [{registration_id, person_id, checked_in_at, checked_out_at}].
"""

ACTIVITY_COMPLETED = "activities.activity_completed"
