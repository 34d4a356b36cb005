"""GET /v6/nodes/, GET and PATCH /v6/nodes/{id}/."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from node import services
from node.filters import NodeFilterSet
from node.models import Node
from node.serializers import NodeEditSerializer, NodeSerializer
from node.states import running_allocations


class NodeList(ListAPIView):
    """Nodes with their state, resources (total and free) and running executions."""

    serializer_class = NodeSerializer
    filterset_class = NodeFilterSet
    queryset = Node.objects.all()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), 'now': timezone.now()}
        context['running'] = running_allocations([node.id for node in page])
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)


class NodeDetail(RetrieveAPIView):
    """A node; PATCH pauses, resumes, deprecates or reactivates it (staff)."""

    serializer_class = NodeSerializer
    filter_backends = ()
    queryset = Node.objects.all()
    lookup_url_kwarg = 'node_id'

    def _response(self, node):
        context = {
            **self.get_serializer_context(),
            'now': timezone.now(),
            'running': running_allocations([node.id]),
        }
        return Response(self.serializer_class(node, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        return self._response(self.get_object())

    @extend_schema(request=NodeEditSerializer, responses=NodeSerializer)
    def patch(self, request, node_id):
        get_object_or_404(Node, pk=node_id)
        try:
            node = services.edit_node(node_id, request.data)
        except Node.DoesNotExist:
            raise NotFound() from None
        return self._response(node)
