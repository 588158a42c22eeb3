namespace OtelStorage.Otlp.Json;

/// <summary>An OTLP JSON body that cannot be decoded; the message says where and why.</summary>
public sealed class OtlpJsonException(string message, Exception? inner = null) : Exception(message, inner);
