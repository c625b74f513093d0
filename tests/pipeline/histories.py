"""Reading a workflow's history the way an auditor would: raw from the server, and every
payload in it (to check what is sealed, and what is inside once opened)."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client


async def raw_history(client: Client, workflow_id: str) -> list[bytes]:
    """Every page of the history exactly as the server stores it, via the raw service call
    (no data converter is involved)."""
    pages: list[bytes] = []
    token = b""
    while True:
        response = await client.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id),
                next_page_token=token,
            )
        )
        pages.append(response.history.SerializeToString())
        token = response.next_page_token
        if not token:
            return pages


def payloads_in(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every Payload anywhere in a proto message, with its path (map keys included)."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
            entries = [(f"{path}{field.name}.{key}", entry) for key, entry in value.items()]
        elif field.is_repeated:
            entries = [(f"{path}{field.name}", entry) for entry in value]
        else:
            entries = [(f"{path}{field.name}", value)]
        for where, entry in entries:
            if isinstance(entry, Payload):
                yield where, entry
            else:
                yield from payloads_in(entry, f"{where}.")


# Written by the server or the SDK's core, not by our converter: search attributes (the server
# indexes them; they hold ids, a status, a slug) and the bookkeeping of markers (a patch id,
# a local activity's type, sequence number and times). The raw check covers them anyway.
NOT_OURS = ("indexed_fields.", "details.data.", "details.patch-data.")
