"""The profile page of the digest setting and the one-click unsubscribe link of every e-mail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from regions.selectors import user_role

from .forms import DigestSubscriptionForm
from .selectors import RECIPIENT_ROLES, digest_opted_out
from .services import digest_subscription_set, digest_unsubscribe, unsubscribe_user_id


@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's digest setting: a checkbox, and where the digest goes."""
    form = DigestSubscriptionForm(
        request.POST if request.method == "POST" else None,
        initial={"subscribed": not digest_opted_out(user_id=request.user.id)},
    )
    if request.method == "POST" and form.is_valid():
        digest_subscription_set(user_id=request.user.id, opted_out=not form.cleaned_data["subscribed"])
        messages.success(request, _("Настройка рассылки сохранена."))
        return redirect("digests:profile")
    context = {"form": form, "kind": RECIPIENT_ROLES.get(user_role(request.user)), "email": request.user.email}
    return render(request, "digests/profile.html", context)


# RFC 8058: the mail system POSTs to the link from the e-mail with no session and no CSRF token; the
# signed token is the proof, and all it can do is opt its own user out.
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a confirmation button (a link opened by a mail scanner changes nothing); POST: opt out."""
    if unsubscribe_user_id(token=token) is None:
        return render(request, "digests/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        done = digest_unsubscribe(token=token) is not None
        return render(
            request, "digests/unsubscribe.html", {"done": done, "invalid": not done}, status=200 if done else 400
        )
    return render(request, "digests/unsubscribe.html", {"token": token})
