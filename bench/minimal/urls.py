"""One view at ``/``: a small JSON answer, as cheap as DRF gets."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Hello(APIView):
    def get(self, request):
        return Response({"status": "ok"})


urlpatterns = [path("", Hello.as_view())]
