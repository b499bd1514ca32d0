#!/usr/bin/env python3
"""Searches a running baokan-search over gRPC and prints the hits.

    pip install grpcio grpcio-tools
    python3 examples/python/search.py "万步有约"
    python3 examples/python/search.py --address 127.0.0.1:50051 --page-size 5 "author:杨文"

Stubs are generated from proto/ with grpcio-tools on first use (into
examples/python/generated/), so they always match the server's API.
"""

import argparse
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent.parent / "proto"
GENERATED = HERE / "generated"


def load_stubs():
    """Generates (once) and imports the baokan.v1 Python stubs."""
    target = GENERATED / "baokan" / "v1"
    if not (target / "search_pb2_grpc.py").exists():
        from grpc_tools import protoc

        GENERATED.mkdir(parents=True, exist_ok=True)
        status = protoc.main([
            "protoc",
            f"-I{PROTO_ROOT}",
            f"--python_out={GENERATED}",
            f"--grpc_python_out={GENERATED}",
            str(PROTO_ROOT / "baokan" / "v1" / "search.proto"),
        ])
        if status != 0:
            sys.exit(f"protoc failed with status {status}")
    sys.path.insert(0, str(GENERATED))
    from baokan.v1 import search_pb2, search_pb2_grpc  # noqa: E402

    return search_pb2, search_pb2_grpc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query", help="query in baokan's query language")
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--page-size", type=int, default=10)
    args = parser.parse_args()

    import grpc

    search_pb2, search_pb2_grpc = load_stubs()
    with grpc.insecure_channel(args.address) as channel:
        client = search_pb2_grpc.SearchServiceStub(channel)
        try:
            response = client.Search(
                search_pb2.SearchRequest(query=args.query, page_size=args.page_size), timeout=10
            )
        except grpc.RpcError as error:
            sys.exit(f"search failed: {error.code().name}: {error.details()}")
    print(f"{response.total_hits} hits")
    for hit in response.hits:
        article = hit.article
        where = " ".join(part for part in [article.paper, article.issue_date, f"p{article.page}" if article.page else ""] if part)
        print(f"[{article.id}] {article.title or '(no headline)'}  {'、'.join(article.authors)}  {where}".rstrip())
        print(f"    {hit.snippet}")


if __name__ == "__main__":
    main()
