using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Otlp.Json;

/// <summary>
/// The OTLP JSON encoding of trace requests and responses (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).
/// It differs from the canonical protobuf JSON mapping in one way that matters: trace and span IDs are hex
/// strings, not base64. Google.Protobuf's parser handles the rest (integer or named enums, 64-bit integers as
/// strings or numbers, lowerCamelCase or snake_case names), so IDs are rewritten to base64 before it runs.
/// </summary>
public static class OtlpJson
{
    public const string MediaType = "application/json";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private const int MaxDepth = 128;

    // Duplicate keys are refused while parsing: a JsonObject that holds them throws ArgumentException when first read.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    private static readonly string[] SpanIdFields = ["traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"];

    private static readonly string[] LinkIdFields = ["traceId", "trace_id", "spanId", "span_id"];

    /// <summary>Decodes an OTLP JSON <c>ExportTraceServiceRequest</c>.</summary>
    /// <exception cref="OtlpJsonException">The body is not valid OTLP JSON; the message names the problem.</exception>
    public static ExportTraceServiceRequest ParseRequest(ReadOnlySpan<byte> utf8Json)
    {
        JsonNode? root;
        try
        {
            ValidateStrings(utf8Json);
            root = JsonNode.Parse(utf8Json, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new OtlpJsonException($"The body is not valid JSON: {e.Message}", e);
        }

        if (root is not JsonObject request)
        {
            throw new OtlpJsonException("The body must be a JSON object with a resourceSpans array.");
        }

        foreach (var (r, resourceSpans) in Items(request, "resourceSpans", "resource_spans", "$"))
        {
            foreach (var (s, scopeSpans) in Items(resourceSpans, "scopeSpans", "scope_spans", $"resourceSpans[{r}]"))
            {
                var scopePath = $"resourceSpans[{r}].scopeSpans[{s}]";
                foreach (var (i, span) in Items(scopeSpans, "spans", "spans", scopePath))
                {
                    var spanPath = $"{scopePath}.spans[{i}]";
                    HexToBase64(span, SpanIdFields, spanPath);
                    foreach (var (l, link) in Items(span, "links", "links", spanPath))
                    {
                        HexToBase64(link, LinkIdFields, $"{spanPath}.links[{l}]");
                    }
                }
            }
        }

        QuoteLargeIntegers(request);
        try
        {
            return Parser.Parse<ExportTraceServiceRequest>(request.ToJsonString());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OtlpJsonException($"The body is not an OTLP ExportTraceServiceRequest: {e.Message}", e);
        }
        catch (InvalidJsonException e)
        {
            throw new OtlpJsonException($"The body is not an OTLP ExportTraceServiceRequest: {e.Message}", e);
        }
        catch (FormatException e)
        {
            throw new OtlpJsonException($"The body is not an OTLP ExportTraceServiceRequest: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes an <c>ExportTraceServiceResponse</c>: <c>{}</c> on success, else its partialSuccess with
    /// <c>rejectedSpans</c> as a decimal string, as the protobuf JSON mapping writes 64-bit integers.
    /// </summary>
    public static byte[] FormatResponse(ExportTraceServiceResponse response)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (response.PartialSuccess is { } partial)
            {
                writer.WriteStartObject("partialSuccess");
                if (partial.RejectedSpans != 0)
                {
                    writer.WriteString("rejectedSpans", partial.RejectedSpans.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                if (partial.ErrorMessage.Length > 0)
                {
                    writer.WriteString("errorMessage", partial.ErrorMessage);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes an OTLP JSON request with hex IDs, for clients, tests and tools.</summary>
    public static string FormatRequest(ExportTraceServiceRequest request) => System.Text.Encoding.UTF8.GetString(OtlpJsonWriter.Write(request));

    /// <summary>
    /// The JSON parser checks the structure but not the text of strings: invalid UTF-8, and escapes that make unpaired
    /// UTF-16 surrogates, only fail when a string is first read, as an InvalidOperationException deep in the tree
    /// walk. Every string and property name is checked here first, so such a body is refused as invalid JSON.
    /// </summary>
    private static void ValidateStrings(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            if (!reader.ValueIsEscaped)
            {
                if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                {
                    throw new OtlpJsonException($"The body is not valid JSON: the string at byte {reader.TokenStartIndex} is not valid UTF-8.");
                }

                continue;
            }

            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw new OtlpJsonException($"The body is not valid JSON: the string at byte {reader.TokenStartIndex} is not valid text ({e.Message})", e);
            }
        }
    }

    private static IEnumerable<(int Index, JsonObject Item)> Items(JsonObject parent, string name, string snakeName, string path)
    {
        var node = parent[name] ?? parent[snakeName];
        if (node is null)
        {
            yield break;
        }

        if (node is not JsonArray array)
        {
            throw new OtlpJsonException($"{path}.{name} must be an array.");
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject item)
            {
                yield return (i, item);
            }
            else if (array[i] is not null)
            {
                throw new OtlpJsonException($"{path}.{name}[{i}] must be an object.");
            }
        }
    }

    /// <summary>
    /// Google.Protobuf reads JSON numbers as doubles, which rounds 64-bit integers above 2^53, for example
    /// nanosecond timestamps sent as numbers. As strings they are parsed exactly, and any integer field accepts them.
    /// </summary>
    private static void QuoteLargeIntegers(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToArray())
                {
                    if (IsLargeInteger(child))
                    {
                        obj[key] = child!.ToJsonString();
                    }
                    else if (child is not null)
                    {
                        QuoteLargeIntegers(child);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (IsLargeInteger(array[i]))
                    {
                        array[i] = array[i]!.ToJsonString();
                    }
                    else if (array[i] is { } child)
                    {
                        QuoteLargeIntegers(child);
                    }
                }

                break;
        }
    }

    // 2^53 has 16 digits; shorter integers are exact as doubles.
    private static bool IsLargeInteger(JsonNode? node) =>
        node is JsonValue value
        && value.GetValueKind() == JsonValueKind.Number
        && value.ToJsonString() is { Length: >= 16 } raw
        && raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0;

    private static void HexToBase64(JsonObject owner, string[] fields, string path)
    {
        foreach (var field in fields)
        {
            if (owner[field] is not JsonValue value)
            {
                continue;
            }

            if (!value.TryGetValue<string>(out var hex))
            {
                throw new OtlpJsonException($"{path}.{field} must be a hex string.");
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new OtlpJsonException($"{path}.{field} must be a hex string (OTLP JSON encodes IDs as hex, not base64), got \"{Truncate(hex)}\".");
            }

            owner[field] = Convert.ToBase64String(bytes);
        }
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
