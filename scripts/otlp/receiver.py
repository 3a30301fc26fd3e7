#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver: decodes protobuf exports and writes one JSON line per span.

    receiver.py --port PORT --out FILE

Listens on 127.0.0.1 only. POST /v1/traces with `application/x-protobuf` bodies (what swift-otel
sends with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf) are decoded with PyPI's
`opentelemetry-proto`; each span becomes a line of FILE:
{"service", "trace_id", "span_id", "parent_span_id", "name", "kind", "attributes", "links", "status"}.
Any other POST (a notification webhook pointed here) is answered 200 and recorded as
{"received": PATH, "traceparent": ...}. Prints "listening on PORT" (on standard error) once it
accepts connections; --port 0 picks a free port. Used by the trace tests and by hand.
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def attributes(pairs):
    return {kv.key: value(kv.value) for kv in pairs}


def spans(request):
    for resource_spans in request.resource_spans:
        service = attributes(resource_spans.resource.attributes).get("service.name")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "service": service,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": trace_pb2.Span.SpanKind.Name(span.kind),
                    "attributes": attributes(span.attributes),
                    "links": [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()} for link in span.links],
                    "status": trace_pb2.Status.StatusCode.Name(span.status.code),
                }


class Receiver(BaseHTTPRequestHandler):
    lock = threading.Lock()
    out = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            # Anything else (a notification webhook pointed here) is recorded with its trace context.
            record = {"received": self.path, "traceparent": self.headers.get("traceparent")}
            with Receiver.lock:
                Receiver.out.write(json.dumps(record, sort_keys=True) + "\n")
                Receiver.out.flush()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        request = trace_service_pb2.ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except Exception as error:  # a malformed export is the exporter's bug: say so
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(error).encode())
            return
        lines = [json.dumps(span, sort_keys=True) for span in spans(request)]
        with Receiver.lock:
            Receiver.out.write("".join(line + "\n" for line in lines))
            Receiver.out.flush()
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--out", default="-")
    options = parser.parse_args()
    Receiver.out = sys.stdout if options.out == "-" else open(options.out, "a", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Receiver)
    print(f"listening on {server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
