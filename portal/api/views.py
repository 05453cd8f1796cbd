"""The API's views: thin, each calling the same functions the portal's pages call."""

import base64

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, renderers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import serializers
from portal.api.models import Scope
from portal.api.pagination import Pages
from portal.api.problems import CONTENT_TYPE, ContentTooLarge
from portal.audit.models import Event
from portal.audit.services import record
from portal.cases.export import download, export_case
from portal.cases.models import Case
from portal.cases.services import complete_prediction, save_case
from portal.screening.analysis import analyse, model_client
from portal.screening.images import heatmap_png
from portal.screening.uploads import body_limit, body_too_large
from portal.workspace.roles import is_clinician
from portal.workspace.services import give_advice, worklist
from preprocess import prepare

PROBLEM = OpenApiResponse(serializers.Problem, description="A problem document (RFC 9457).")
ERRORS = {(code, CONTENT_TYPE): PROBLEM for code in (400, 401, 403, 404, 405, 406, 413, 415, 422, 429, 503)}


class UploadView(APIView):
    """Accepts the image as a multipart file or base64 in JSON; refuses an oversized body unread."""

    parser_classes = [MultiPartParser, JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, scope and throttle first
        if request.method == "POST" and body_too_large(request):
            raise ContentTooLarge(f"The body has no Content-Length or is larger than the limit of "
                                  f"{body_limit(request)} bytes (an image of at most {settings.UPLOAD_MAX_BYTES} "
                                  "bytes).")  # fmt: skip

    def valid(self, upload_serializer, json_serializer):
        """The request validated by the serializer for its content type."""
        is_json = self.request.content_type.startswith("application/json")
        serializer = (json_serializer if is_json else upload_serializer)(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class Predictions(UploadView):
    required_scopes = {"POST": Scope.PREDICT}

    @extend_schema(
        operation_id="predict",
        request={"multipart/form-data": serializers.PredictionUpload, "application/json": serializers.PredictionJSON},
        responses={200: serializers.PredictionResult, **ERRORS},
        summary="Run the model on one chest X-ray; nothing is stored.",
    )  # fmt: skip
    def post(self, request):
        data = self.valid(serializers.PredictionUpload, serializers.PredictionJSON)
        analysis = analyse(prepare(data["image"], max_bytes=settings.UPLOAD_MAX_BYTES), explain=data["explain"])
        shown = {"reading": analysis.reading, "heatmap": heatmap(analysis.heatmap) if data["explain"] else None}
        return Response(serializers.PredictionResult({**vars(analysis), **shown}).data)


def heatmap(values):
    """The heatmap as the portal stores it: 8-bit levels in a grey PNG at the model's resolution."""
    png = base64.b64encode(heatmap_png(values)).decode()
    return {"media_type": "image/png", "width": values.shape[1], "height": values.shape[0], "data": png}


class Cases(UploadView, generics.GenericAPIView):
    pagination_class = Pages
    required_scopes = {"GET": Scope.CASES_READ, "POST": Scope.CASES_WRITE}

    @extend_schema(operation_id="list_cases", parameters=[serializers.CaseFilters],
                   responses={200: serializers.CaseSummary(many=True), **ERRORS},
                   summary="The clinicians' worklist: cases in triage or severity order, filtered, paged.")  # fmt: skip
    def get(self, request):
        filters = serializers.CaseFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(worklist(**{"status": "", **filters.validated_data}))  # any status unless asked
        return self.get_paginated_response(serializers.CaseSummary(page, many=True).data)

    @extend_schema(
        operation_id="create_case",
        request={"multipart/form-data": serializers.CaseUpload, "application/json": serializers.CaseJSON},
        responses={201: serializers.CaseDetail, **ERRORS},
        summary="Save a case with the patient's answers, consent and X-ray, as the patient's save form does.",
    )  # fmt: skip
    def post(self, request):
        data = self.valid(serializers.CaseUpload, serializers.CaseJSON)
        case = save_case(data["case"], data["image"])
        return Response(serializers.CaseDetail(case).data, status=status.HTTP_201_CREATED)


def viewed(case, request):
    """What reading a case through the API means: an audit event naming the key, and a prediction left
    pending finished if the model can answer now (as on the patient's and the clinician's pages)."""
    record(Event.CASE_VIEWED, None, request, case=case, username=request.auth.actor)
    if case.prediction is None:
        complete_prediction(case)


class CaseView(APIView):
    required_scopes = {"GET": Scope.CASES_READ}

    @extend_schema(operation_id="get_case", responses={200: serializers.CaseDetail, **ERRORS},
                   summary="One case by its reference.")  # fmt: skip
    def get(self, request, reference):
        case = get_object_or_404(Case, reference=reference)
        viewed(case, request)
        return Response(serializers.CaseDetail(case).data)


class ZipRenderer(renderers.BaseRenderer):
    """Lets `Accept: application/zip` through content negotiation; the view answers with the file itself."""

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CaseExport(APIView):
    required_scopes = {"GET": Scope.CASES_READ}
    renderer_classes = [ZipRenderer, renderers.JSONRenderer]

    @extend_schema(operation_id="export_case", responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERRORS},
                   summary="Everything stored about one case as a ZIP (case.json and the X-ray, display copy and "
                           "heatmap files), when the patient asks for their data; audited.")  # fmt: skip
    def get(self, request, reference):
        case = get_object_or_404(Case, reference=reference)
        return download(case, export_case(case, None, request, via="api", username=request.auth.actor))


class CaseAdvice(APIView):
    required_scopes = {"GET": Scope.CASES_READ, "POST": Scope.CASES_WRITE}

    @extend_schema(operation_id="list_advice", responses={200: serializers.AdviceDetail(many=True), **ERRORS},
                   summary="All advice on a case, oldest first; superseded versions are marked.")  # fmt: skip
    def get(self, request, reference):
        case = get_object_or_404(Case, reference=reference)
        viewed(case, request)
        return Response(serializers.AdviceDetail(case.advice_versions(), many=True).data)

    @extend_schema(operation_id="give_advice", request=serializers.NewAdvice,
                   responses={201: serializers.AdviceDetail, **ERRORS},
                   summary="Sign advice as the clinician the API key is bound to.")  # fmt: skip
    def post(self, request, reference):
        case = get_object_or_404(Case, reference=reference)
        clinician = request.auth.clinician
        if clinician is None or not is_clinician(clinician):
            raise PermissionDenied("Advice is signed by a clinician: this API key is not bound to one.")
        data = serializers.NewAdvice(data=request.data)
        data.is_valid(raise_exception=True)
        advice = give_advice(case, clinician, request, **data.validated_data)
        advice.superseded = False
        return Response(serializers.AdviceDetail(advice).data, status=status.HTTP_201_CREATED)


class Models(APIView):
    required_scopes = {"GET": Scope.PREDICT}

    @extend_schema(operation_id="get_model", responses={200: serializers.ModelInfo, **ERRORS},
                   summary="The served model: its versions and states (ModelService) and signatures (metadata).")
    def get(self, request):
        client = model_client()
        signatures = [
            {"name": name, "inputs": _tensors(spec.inputs), "outputs": _tensors(spec.outputs)}
            for name, spec in sorted(client.metadata().items())
        ]  # fmt: skip
        versions = [{"version": version, "state": state} for version, state in client.status()]
        return Response({"name": client.model_name, "versions": versions, "signatures": signatures})


def _tensors(specs):
    return {name: {"dtype": spec.dtype, "shape": None if spec.shape is None else list(spec.shape)}
            for name, spec in sorted(specs.items())}  # fmt: skip
