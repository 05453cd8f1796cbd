"""Pages whose address is a secret (a kept upload's token, a case reference)."""

from functools import wraps

from django.views.decorators.cache import never_cache


def private_page(view):
    """Not cached and not indexed; templates add the matching <meta name="robots"> (base.html's robots block)."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def no_referrer(view):
    """The address never leaves in a Referer header, not even to this site.

    Not for pages with a form: under this policy the browser posts with `Origin: null`,
    which Django's CSRF check refuses. Those keep the site's same-origin policy.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper
