"""
The admin's referrer policy.

The site sends ``Referrer-Policy: no-referrer`` so that a secret's link never
travels on to other sites. Under that policy a browser sends ``Origin: null``
with every form it posts, which Django's CSRF check rightly refuses: the admin
login and every admin form would fail with a 403. Admin pages hold no secret
links, so they get ``same-origin`` instead: their forms name their own origin
and pass the check, and other sites still learn nothing.
"""

from django.urls import reverse


class AdminReferrerPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        if request.path.startswith(self._prefix):
            # Set before SecurityMiddleware's default, which only fills the header in when absent.
            response.headers["Referrer-Policy"] = "same-origin"
        return response
