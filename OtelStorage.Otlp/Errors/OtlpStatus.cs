using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;

namespace OtelStorage.Otlp.Errors;

/// <summary>
/// <c>google.rpc.Status</c> error bodies for OTLP/HTTP failures and gRPC status details
/// (https://opentelemetry.io/docs/specs/otlp/#failures-1).
/// </summary>
public static class OtlpStatus
{
    /// <summary>A status with an optional RetryInfo, which tells OTLP clients the failure may be retried after the delay.</summary>
    public static Google.Rpc.Status Create(Code code, string message, TimeSpan? retryDelay = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        if (retryDelay is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        return status;
    }

    /// <summary>The status as OTLP JSON: <c>{"code":14,"message":"…","details":[{"@type":"…RetryInfo","retryDelay":"5s"}]}</c>.</summary>
    public static byte[] FormatJson(Google.Rpc.Status status)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("code", status.Code);
            writer.WriteString("message", status.Message);
            if (status.Details.Count > 0)
            {
                writer.WriteStartArray("details");
                foreach (var detail in status.Details)
                {
                    writer.WriteStartObject();
                    writer.WriteString("@type", detail.TypeUrl);
                    if (detail.TryUnpack<RetryInfo>(out var retry))
                    {
                        writer.WriteString("retryDelay", JsonFormatter.Default.Format(retry.RetryDelay).Trim('"'));
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
