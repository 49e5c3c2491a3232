"""Pages. Each view checks access, calls a selector and renders."""

from django.http import HttpResponse


def home(request):
    return HttpResponse("ok")


def region(request, code):
    return HttpResponse("ok")


def municipality(request, pk):
    return HttpResponse("ok")


def organisation(request, pk):
    return HttpResponse("ok")


def upload_detail(request, pk):
    return HttpResponse("ok")
