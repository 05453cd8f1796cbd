"""The clinician's pages: sign-in, the worklist, a case with its advice, amending one's advice, and the
dashboard."""

from math import ceil

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from portal.audit.services import case_history
from portal.cases.export import download, export_case
from portal.cases.images import case_image_uris
from portal.cases.models import Advice, Case, Status
from portal.screening.outages import database_required
from portal.screening.privacy import private_page
from portal.workspace import dashboard as figures
from portal.workspace import lockout
from portal.workspace.forms import AdviceForm, SignInForm, WorklistFilters
from portal.workspace.roles import DASHBOARD_PERMISSION, clinician_required, is_clinician, requires
from portal.workspace.services import amend_advice, give_advice, open_case, require_author, review_backlog, worklist

PAGE_SIZE = 20


class SignInView(LoginView):
    """Django's sign-in, refused with a 429 that says when to retry while a lockout holds."""

    template_name = "workspace/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        until = lockout.locked_until(request.POST.get("username", ""), lockout.client_address(request))
        if until is None:
            return super().post(request, *args, **kwargs)
        response = render(request, "workspace/locked.html", {"until": until}, status=429)
        response["Retry-After"] = str(max(1, ceil((until - timezone.now()).total_seconds())))
        return response


@requires(DASHBOARD_PERMISSION)
def home(request):
    """Where signing in lands: the worklist for clinicians, the audit trail for administrators."""
    return redirect("workspace:worklist" if is_clinician(request.user) else "audit:events")


@clinician_required
@private_page
@database_required
def worklist_page(request):
    filters = WorklistFilters(request.GET)
    filters.is_valid()  # fields that fail are left out of the query and shown with their error
    cases = worklist(**filters.cleaned_data)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number),
        "awaiting": review_backlog(),
        "reviewed": Case.objects.filter(status=Status.REVIEWED).count(),
    }
    return render(request, "workspace/worklist.html", context)


@clinician_required
@private_page
@database_required
def case_page(request, reference):
    """The case for review; posting the advice form signs advice on it (a second opinion if there is some)."""
    case = get_object_or_404(Case, reference=reference)
    form = AdviceForm(request.POST or None, clinician=request.user)
    if request.method == "POST":
        if _signed(form, give_advice, case, request):
            messages.success(request, "Your advice is signed and on the patient's case page.")
            return redirect("workspace:case", reference)
        status = 400
    else:
        open_case(case, request.user, request)
        status = 200
    context = {"case": case, "form": form, "advice": case.advice_versions(), "history": case_history(case),
               **case_image_uris(case)}  # fmt: skip
    return render(request, "workspace/case.html", context, status=status)


@clinician_required
@private_page
@database_required
def export(request, reference):
    """The case as one ZIP file, when the patient asks for their data (right of access, portability)."""
    case = get_object_or_404(Case, reference=reference)
    return download(case, export_case(case, request.user, request, via="workspace"))


@clinician_required
@private_page
@database_required
def amend(request, advice_id):
    """A new version of one's own advice; anyone else's is refused (they add a second opinion instead)."""
    advice = get_object_or_404(Advice, pk=advice_id)
    require_author(advice, request.user)
    initial = {"recommendation": advice.recommendation, "text": advice.text}
    form = AdviceForm(request.POST or None, initial=initial, clinician=request.user)
    if request.method == "POST" and _signed(form, amend_advice, advice, request):
        messages.success(request, "Your amended advice is signed and replaces the earlier version for the patient.")
        return redirect("workspace:case", advice.case.reference)
    status = 400 if form.is_bound else 200
    return render(request, "workspace/amend.html", {"advice": advice, "form": form}, status=status)


def _signed(form, sign, subject, request):
    """Run `sign` (give_advice or amend_advice) on a valid form; the rules it enforces show in the form."""
    if not form.is_valid():
        return False
    try:
        sign(subject, request.user, request, **form.advice())
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@requires(DASHBOARD_PERMISSION)
@database_required
def dashboard(request):
    return render(request, "workspace/dashboard.html", {"dashboard": figures.dashboard()})
