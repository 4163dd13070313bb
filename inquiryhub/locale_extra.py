"""Message ids of Django's own that its zh_Hans catalogue has not caught up with.

Django 5.2 rewrote the password-length message with a bare %d; its Chinese catalogue still has
the old id, so a Chinese user saw English. Naming the new ids here puts them in our catalogue.
"""

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
