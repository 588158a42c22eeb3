namespace Ingest.Api.Ingest;

/// <summary>How a request arrived; the <c>protocol</c> tag of the ingest metrics.</summary>
public enum IngestProtocol
{
    Grpc,
    HttpProtobuf,
    HttpJson,
}

public static class IngestProtocolNames
{
    public static string ToTag(this IngestProtocol protocol) => protocol switch
    {
        IngestProtocol.Grpc => "grpc",
        IngestProtocol.HttpProtobuf => "http/protobuf",
        IngestProtocol.HttpJson => "http/json",
        _ => "unknown",
    };
}
