"""The audit trail for administrators: read-only, newest first. Nothing here or in the admin changes it."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from portal.audit.forms import EventFilters
from portal.audit.models import AuditEvent
from portal.screening.outages import database_required
from portal.screening.privacy import private_page

PAGE_SIZE = 50


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
@private_page
@database_required
def events(request):
    filters = EventFilters(request.GET)
    page = Paginator(filters.events(AuditEvent.objects.all()), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page": page, "page_numbers": page.paginator.get_elided_page_range(page.number)}
    return render(request, "audit/events.html", context)
