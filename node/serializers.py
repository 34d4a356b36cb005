from rest_framework import serializers

from node.models import Node


class NodeBaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Node
        fields = ['id', 'hostname']
