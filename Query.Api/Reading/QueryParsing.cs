using System.Globalization;
using System.Text.Json;

namespace Query.Api.Reading;

/// <summary>A parameter that could not be parsed; the message says what was wrong and what is expected.</summary>
public sealed class QueryParameterException(string message) : Exception(message);

/// <summary>Parsing of query parameters shared by the native, Jaeger and Tempo APIs.</summary>
public static class QueryParsing
{
    /// <summary>A trace ID: 32 hex characters (16 bytes), not all zeros. Shorter IDs are not padded: they are another trace.</summary>
    public static byte[] TraceId(string? value, string name = "traceId") => TraceId(value, name, padShort: false);

    /// <summary>
    /// As <see cref="TraceId(string?, string)"/>, but with <paramref name="padShort"/> a shorter hex ID is padded with
    /// leading zeros, as Jaeger (64-bit IDs) and Tempo (IDs with leading zeros trimmed) do.
    /// </summary>
    public static byte[] TraceId(string? value, string name, bool padShort)
    {
        var text = value?.Trim() ?? string.Empty;
        if (padShort && text.Length is > 0 and < 32)
        {
            text = text.PadLeft(32, '0');
        }

        if (text.Length != 32)
        {
            throw new QueryParameterException($"{name} must be 32 hex characters, got {text.Length}");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new QueryParameterException($"{name} must be 32 hex characters (0-9, a-f), got '{text}'");
        }

        return bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0
            ? throw new QueryParameterException($"{name} must not be all zeros (an invalid trace ID in OTLP)")
            : bytes;
    }

    /// <summary>
    /// A Go duration (<c>1.5ms</c>, <c>2s</c>, <c>1h30m</c>; units ns, us, µs, ms, s, m, h) as nanoseconds. A bare
    /// integer is taken in <paramref name="bareUnitNanos"/> units.
    /// </summary>
    public static long Duration(string value, string name, long bareUnitNanos = 1)
    {
        var text = value.Trim();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bare))
        {
            return checked(bare * bareUnitNanos);
        }

        if (text.Length == 0)
        {
            throw new QueryParameterException($"{name} must be a duration such as 1.5ms, 250us, 2s or 1m30s, got ''");
        }

        double total = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }

            if (start == unitStart || !double.TryParse(text.AsSpan(start, unitStart - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw new QueryParameterException($"{name} must be a duration such as 1.5ms, 250us, 2s or 1m30s, got '{value}'");
            }

            double unit = text[unitStart..i] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                "d" => 86400e9,
                var u => throw new QueryParameterException($"{name} has an unknown unit '{u}' in '{value}': use ns, us, ms, s, m or h"),
            };
            total += number * unit;
        }

        return total > long.MaxValue ? throw new QueryParameterException($"{name} is too large: '{value}'") : (long)total;
    }

    /// <summary>A native API time: RFC 3339 (<c>2026-11-25T09:00:00Z</c>) or Unix nanoseconds.</summary>
    public static ulong Time(string value, string name)
    {
        var text = value.Trim();
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var nanos))
        {
            return nanos;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? ToUnixNano(time)
            : throw new QueryParameterException($"{name} must be an RFC 3339 time (2026-11-25T09:00:00Z) or Unix nanoseconds, got '{value}'");
    }

    /// <summary>An integer time in the given unit (Jaeger: µs, Tempo: s).</summary>
    public static ulong UnixTime(string value, string name, ulong unitNanos, string unitName)
    {
        return ulong.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t <= ulong.MaxValue / unitNanos
            ? t * unitNanos
            : throw new QueryParameterException($"{name} must be Unix time in {unitName} (a non-negative integer), got '{value}'");
    }

    public static ulong ToUnixNano(DateTimeOffset time) => (ulong)Math.Max(0, (time - DateTimeOffset.UnixEpoch).Ticks) * 100UL;

    /// <summary>An OTLP status: <c>unset</c>/<c>ok</c>/<c>error</c> (any case) or 0/1/2.</summary>
    public static int Status(string value) => value.Trim().ToLowerInvariant() switch
    {
        "unset" or "0" => 0,
        "ok" or "1" => 1,
        "error" or "2" => 2,
        _ => throw new QueryParameterException($"status must be one of unset, ok, error (or 0, 1, 2), got '{value}'"),
    };

    /// <summary>One <c>key:value</c> tag filter (the first ':' splits).</summary>
    public static KeyValuePair<string, string> Tag(string value, string name = "tag")
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0
            ? throw new QueryParameterException($"{name} must be key:value, for example {name}=http.route:/api/cart, got '{value}'")
            : new KeyValuePair<string, string>(value[..colon], value[(colon + 1)..]);
    }

    /// <summary>Jaeger's <c>tags</c> parameter (api_v3: <c>query.attributes</c>): a JSON object of string values, for example <c>{"error":"true"}</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> JaegerTags(string json, string name = "tags")
    {
        Dictionary<string, JsonElement>? tags;
        try
        {
            tags = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new QueryParameterException($"{name} must be a JSON object such as {{\"http.route\":\"/api/cart\"}}, got '{json}'");
        }

        foreach (var (key, value) in tags ?? [])
        {
            string text;
            try
            {
                text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
            catch (InvalidOperationException)
            {
                // An escape that makes an unpaired UTF-16 surrogate ("\ud800") only fails when the string is read.
                throw new QueryParameterException($"{name} must hold valid text: the value of '{key}' has an invalid escape, got '{json}'");
            }

            yield return new KeyValuePair<string, string>(key, text);
        }
    }

    /// <summary>Tempo's <c>tags</c> parameter in logfmt: <c>service.name="cart" http.status_code=500</c>.</summary>
    public static List<KeyValuePair<string, string>> Logfmt(string text)
    {
        var result = new List<KeyValuePair<string, string>>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                break;
            }

            var keyStart = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var key = text[keyStart..i];
            if (i >= text.Length || text[i] != '=' || key.Length == 0)
            {
                throw new QueryParameterException($"tags must be logfmt key=value pairs such as service.name=\"cart\" http.status_code=500, got '{text}'");
            }

            i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    sb.Append(text[i++]);
                }

                if (i >= text.Length)
                {
                    throw new QueryParameterException($"tags has an unterminated quoted value in '{text}'");
                }

                i++;
                value = sb.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                value = text[valueStart..i];
            }

            result.Add(new KeyValuePair<string, string>(key, value));
        }

        return result;
    }
}
