"""Role checks for views. A wrong role gets 403; a wrong object gets 404 (see the selectors)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import OPERATIONS as OPERATIONS
from .models import OVERSEERS as OVERSEERS
from .models import READERS as READERS
from .models import Role


def role_required(*roles):
    """Let in logged-in, active users whose role is one of `roles`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = tuple(roles)
        return wrapped

    return decorator


reader_required = role_required(*READERS)
operations_required = role_required(*OPERATIONS)
ops_manager_required = role_required(Role.OPS_MANAGER)
sales_required = role_required(Role.SALES)
