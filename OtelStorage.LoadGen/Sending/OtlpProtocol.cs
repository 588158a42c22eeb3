namespace OtelStorage.LoadGen.Sending;

/// <summary>The OTLP transports the load generator speaks, named as in OTEL_EXPORTER_OTLP_PROTOCOL.</summary>
public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
    HttpJson,
}

public static class OtlpProtocolNames
{
    public static OtlpProtocol Parse(string value) => value.ToLowerInvariant() switch
    {
        "grpc" => OtlpProtocol.Grpc,
        "http/protobuf" or "http-protobuf" or "protobuf" => OtlpProtocol.HttpProtobuf,
        "http/json" or "http-json" or "json" => OtlpProtocol.HttpJson,
        _ => throw new FormatException($"protocol must be grpc, http/protobuf or http/json, got '{value}'"),
    };

    public static string Name(this OtlpProtocol protocol) => protocol switch
    {
        OtlpProtocol.Grpc => "grpc",
        OtlpProtocol.HttpProtobuf => "http/protobuf",
        _ => "http/json",
    };

    /// <summary>The exporters' default endpoint for each protocol.</summary>
    public static Uri DefaultEndpoint(this OtlpProtocol protocol) =>
        protocol == OtlpProtocol.Grpc ? new Uri("http://localhost:4317") : new Uri("http://localhost:4318");
}
