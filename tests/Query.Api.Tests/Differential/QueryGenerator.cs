using System.Globalization;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace Query.Api.Tests.Differential;

/// <summary>
/// Seeded valid TraceQL over the whole search language: comparisons on every scope and intrinsic, <c>nil</c>,
/// arithmetic, <c>&amp;&amp;</c>, <c>||</c> and <c>!</c> inside span sets, span-set <c>&amp;&amp;</c> and <c>||</c>, the
/// structural operators with their negated and union forms, and pipelines (aggregates compared to a value, <c>by()</c>,
/// <c>select()</c>, <c>coalesce()</c>, filter stages). Values are mostly drawn from the generated spans, so that many
/// queries match something.
/// </summary>
internal sealed class QueryGenerator(IReadOnlyList<TraceSpan> spans)
{
    private enum FieldType
    {
        String,
        Int,
        Float,
        Bool,
        Duration,
        Status,
        Kind,
        Id,
    }

    private sealed record Field(string Text, FieldType Type, Func<TraceSpan, Random, string?> Sample);

    private static readonly string[] SpansetOperators = ["&&", "||", ">>", ">", "<<", "<", "~", "!>>", "!>", "!<<", "!<", "!~", "&>>", "&>", "&<<", "&<", "&~"];

    private static readonly Field[] Fields =
    [
        new("name", FieldType.String, (s, _) => Str(s.Name)),
        new("span:name", FieldType.String, (s, _) => Str(s.Name)),
        new("statusMessage", FieldType.String, (s, _) => Str(s.StatusMessage)),
        new("rootName", FieldType.String, (s, _) => Str(s.Name)),
        new("trace:rootName", FieldType.String, (s, _) => Str(s.Name)),
        new("rootServiceName", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "service.name", r)),
        new("trace:rootService", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "service.name", r)),
        new("resource.service.name", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "service.name", r)),
        new(".service.name", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "service.name", r)),
        new("resource.host.name", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "host.name", r)),
        new("resource.deployment.environment", FieldType.String, (s, r) => Attribute(s.ResourceAttributes, "deployment.environment", r)),
        new(".deployment.environment", FieldType.String, (s, r) => Attribute(s.Attributes, "deployment.environment", r) ?? Attribute(s.ResourceAttributes, "deployment.environment", r)),
        new("span.deployment.environment", FieldType.String, (s, r) => Attribute(s.Attributes, "deployment.environment", r)),
        new("span.http.route", FieldType.String, (s, r) => Attribute(s.Attributes, "http.route", r)),
        new(".http.route", FieldType.String, (s, r) => Attribute(s.Attributes, "http.route", r)),
        new("span.http.request.method", FieldType.String, (s, r) => Attribute(s.Attributes, "http.request.method", r)),
        new("span.http.method", FieldType.String, (s, r) => Attribute(s.Attributes, "http.method", r)),
        new("span.http.response.status_code", FieldType.String, (s, r) => Attribute(s.Attributes, "http.response.status_code", r)),
        new("span.db.system.name", FieldType.String, (s, r) => Attribute(s.Attributes, "db.system.name", r)),
        new("span.db.system", FieldType.String, (s, r) => Attribute(s.Attributes, "db.system", r)),
        new("span.\"q q\"", FieldType.String, (s, r) => Attribute(s.Attributes, "q q", r)),
        new("span.tags", FieldType.String, (s, r) => Attribute(s.Attributes, "tags", r)),
        new("span.nope", FieldType.String, (_, _) => "\"x\""),
        new("event:name", FieldType.String, (s, r) => s.Events.Count == 0 ? null : Str(s.Events[r.Next(s.Events.Count)].Name)),
        new("event.exception.type", FieldType.String, (s, r) => s.Events.Count == 0 ? null : Attribute(s.Events[r.Next(s.Events.Count)].Attributes, "exception.type", r)),
        new("event.exception.message", FieldType.String, (s, r) => s.Events.Count == 0 ? null : Attribute(s.Events[r.Next(s.Events.Count)].Attributes, "exception.message", r)),
        new("link.ref.type", FieldType.String, (s, r) => s.Links.Count == 0 ? null : Attribute(s.Links[0].Attributes, "ref.type", r)),
        new("instrumentation:name", FieldType.String, (s, _) => Str(s.Scope.Name)),
        new("instrumentation:version", FieldType.String, (s, _) => Str(s.Scope.Version)),
        new("instrumentation.scope.tier", FieldType.String, (s, r) => Attribute(s.Scope.Attributes, "scope.tier", r)),
        new("span.http.response.status_code", FieldType.Int, (s, r) => Attribute(s.Attributes, "http.response.status_code", r)),
        new(".http.response.status_code", FieldType.Int, (s, r) => Attribute(s.Attributes, "http.response.status_code", r)),
        new("span.retry.count", FieldType.Int, (s, r) => Attribute(s.Attributes, "retry.count", r)),
        new("resource.process.pid", FieldType.Int, (s, r) => Attribute(s.ResourceAttributes, "process.pid", r)),
        new("event.attempt", FieldType.Int, (s, r) => s.Events.Count == 0 ? null : Attribute(s.Events[r.Next(s.Events.Count)].Attributes, "attempt", r)),
        new("span.ids", FieldType.Int, (s, r) => Attribute(s.Attributes, "ids", r)),
        new("span:childCount", FieldType.Int, (_, r) => r.Next(4).ToString(CultureInfo.InvariantCulture)),
        new("span.ratio", FieldType.Float, (s, r) => Attribute(s.Attributes, "ratio", r)),
        new("span.weights", FieldType.Float, (s, r) => Attribute(s.Attributes, "weights", r)),
        new("span.cache.hit", FieldType.Bool, (s, r) => Attribute(s.Attributes, "cache.hit", r)),
        new("span.flags", FieldType.Bool, (s, r) => Attribute(s.Attributes, "flags", r)),
        new("duration", FieldType.Duration, (s, _) => Nanos(s.DurationNanos)),
        new("span:duration", FieldType.Duration, (s, _) => Nanos(s.DurationNanos)),
        new("traceDuration", FieldType.Duration, (s, r) => Nanos(s.DurationNanos * r.Next(1, 4))),
        new("trace:duration", FieldType.Duration, (s, _) => Nanos(s.DurationNanos)),
        new("event:timeSinceStart", FieldType.Duration, (s, r) => s.Events.Count == 0 ? null : Nanos(s.Events[r.Next(s.Events.Count)].TimeUnixNanos - s.StartUnixNanos)),
        new("status", FieldType.Status, (s, _) => s.Status.ToString().ToLowerInvariant()),
        new("span:status", FieldType.Status, (s, _) => s.Status.ToString().ToLowerInvariant()),
        new("kind", FieldType.Kind, (s, _) => s.Kind.ToString().ToLowerInvariant()),
        new("trace:id", FieldType.Id, (s, _) => Str(Convert.ToHexStringLower(s.TraceId))),
        new("span:id", FieldType.Id, (s, _) => Str(Convert.ToHexStringLower(s.SpanId))),
        new("span:parentID", FieldType.Id, (s, _) => s.ParentSpanId.Length == 0 ? null : Str(Convert.ToHexStringLower(s.ParentSpanId))),
        new("link:traceID", FieldType.Id, (s, _) => s.Links.Count == 0 ? null : Str(Convert.ToHexStringLower(s.Links[0].TraceId))),
        new("link:spanID", FieldType.Id, (s, _) => s.Links.Count == 0 ? null : Str(Convert.ToHexStringLower(s.Links[0].SpanId))),
    ];

    private static readonly Field[] Numeric = [.. Fields.Where(f => f.Type is FieldType.Int or FieldType.Float or FieldType.Duration && !f.Text.StartsWith("event", StringComparison.Ordinal))];

    private static readonly Field[] Selective = [.. Fields.Where(f => f.Type is FieldType.Id || f.Text is "span.retry.count" or "resource.host.name" or "span.ratio" or "duration")];

    private static readonly Field[] Groupable = [.. Fields.Where(f => f.Type is not FieldType.Id && !f.Text.StartsWith("event", StringComparison.Ordinal) && !f.Text.StartsWith("link", StringComparison.Ordinal))];

    /// <summary>The query numbered <paramref name="index"/> of the run with <paramref name="seed"/>: the same pair always gives the same text.</summary>
    public string Generate(int seed, int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var text = Spanset(random, 0);
        for (var stages = random.Next(3) == 0 ? random.Next(1, 3) : 0; stages > 0; stages--)
        {
            text += " | " + Stage(random);
        }

        return random.Next(20) == 0 ? text + " with (most_recent=true)" : text;
    }

    private string Spanset(Random random, int depth)
    {
        if (depth < 2 && random.Next(depth == 0 ? 3 : 5) == 0)
        {
            return "(" + Spanset(random, depth + 1) + " " + Pick(random, SpansetOperators) + " " + Spanset(random, depth + 1) + ")";
        }

        return random.Next(3) switch
        {
            // A condition that few spans meet, so that many queries match a few traces.
            0 => "{ " + Filter(random, 1) + " && " + Comparison(random, Pick(random, Selective)) + " }",
            _ when random.Next(15) == 0 => "{ }",
            _ => "{ " + Filter(random, 0) + " }",
        };
    }

    private string Filter(Random random, int depth)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 22 when depth < 2 => "(" + Filter(random, depth + 1) + (random.Next(2) == 0 ? " && " : " || ") + Filter(random, depth + 1) + ")",
            < 28 when depth < 2 => "!(" + Filter(random, depth + 1) + ")",
            < 34 => Pick(random, Fields).Text + (random.Next(2) == 0 ? " = nil" : " != nil"),
            < 42 => Arithmetic(random),
            < 45 => Pick(random, ["span.cache.hit", "span.flags", "span.nope"]),
            _ => Comparison(random, Pick(random, Fields)),
        };
    }

    private string Comparison(Random random, Field field)
    {
        var value = Value(random, field);
        var op = field.Type switch
        {
            FieldType.String => Pick(random, ["=", "=", "!=", "=~", "!~", "<", ">="]),
            FieldType.Int or FieldType.Float or FieldType.Duration => Pick(random, ["=", "!=", ">", ">=", "<", "<="]),
            _ => Pick(random, ["=", "=", "!="]),
        };
        if (op is "=~" or "!~")
        {
            value = Regex(random, field);
        }

        return field.Text + " " + op + " " + value;
    }

    private string Arithmetic(Random random)
    {
        var field = Pick(random, [.. Numeric.Where(f => f.Type != FieldType.Duration)]);
        var value = Value(random, field);
        return random.Next(4) switch
        {
            0 => $"{field.Text} + 1 > {value}",
            1 => $"{field.Text} * 2 >= {value}",
            2 => $"{field.Text} - 0.5 < {value}",
            _ => field.Type == FieldType.Int ? $"{field.Text} % 7 = {random.Next(7)}" : $"2 ^ {field.Text} > {value}",
        };
    }

    private string Stage(Random random)
    {
        var comparison = Pick(random, ["=", "!=", ">", ">=", "<", "<="]);
        switch (random.Next(7))
        {
            case 0:
                return $"count() {comparison} {random.Next(6)}";
            case 1:
                var field = Pick(random, Numeric);
                return $"{Pick(random, ["avg", "min", "max", "sum"])}({field.Text}) {comparison} {Value(random, field)}";
            case 2:
                return $"by({Pick(random, Groupable).Text})";
            case 3:
                return $"select({Pick(random, Fields).Text}, {Pick(random, Fields).Text})";
            case 4:
                return "coalesce()";
            default:
                return "{ " + Filter(random, 1) + " }";
        }
    }

    // A value of the field's type, mostly taken from a span that has the field.
    private string Value(Random random, Field field)
    {
        if (random.Next(10) > 0)
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                if (field.Sample(spans[random.Next(spans.Count)], random) is { } sampled)
                {
                    return sampled;
                }
            }
        }

        return field.Type switch
        {
            FieldType.String => Pick(random, ["\"\"", "\"GET /cart\"", "\"none\""]),
            FieldType.Int => random.Next(-1, 600).ToString(CultureInfo.InvariantCulture),
            FieldType.Float => Pick(random, ["0.5", "1.25", "-1.0", "3"]),
            FieldType.Bool => Pick(random, ["true", "false"]),
            FieldType.Duration => Pick(random, ["0ns", "1us", "150us", "1ms", "20ms", "1s", "2.5s", "1m"]),
            FieldType.Status => Pick(random, ["error", "ok", "unset"]),
            FieldType.Kind => Pick(random, ["unspecified", "internal", "server", "client", "producer", "consumer"]),
            _ => Pick(random, ["\"00000000000000000000000000000001\"", "\"1\""]),
        };
    }

    // A regular expression built from data: a prefix of a value and ".*", or two values as alternatives.
    private string Regex(Random random, Field field)
    {
        var a = Unquote(Value(random, field));
        var b = Unquote(Value(random, field));
        var pattern = random.Next(2) == 0
            ? System.Text.RegularExpressions.Regex.Escape(a[..random.Next(a.Length + 1)]) + ".*"
            : System.Text.RegularExpressions.Regex.Escape(a) + "|" + System.Text.RegularExpressions.Regex.Escape(b);
        return Str(pattern);
    }

    private static string Unquote(string literal) =>
        literal.StartsWith('"') ? literal[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) : literal;

    private static string? Attribute(IReadOnlyList<KeyValue> attributes, string key, Random random)
    {
        foreach (var kv in attributes)
        {
            if (kv.Key == key)
            {
                return Literal(kv.Value, random);
            }
        }

        return null;
    }

    private static string Literal(TraceQLValue value, Random random) => value.Type switch
    {
        TraceQLType.String => Str(value.AsString()),
        TraceQLType.Int => value.AsInt().ToString(CultureInfo.InvariantCulture),
        TraceQLType.Float => value.AsDouble().ToString("0.0##", CultureInfo.InvariantCulture),
        TraceQLType.Bool => value.AsBool() ? "true" : "false",
        _ when value.IsArray => Literal(value.ElementAt(random.Next(value.ArrayLength)), random),
        _ => throw new ArgumentException($"no literal for {value.Type}", nameof(value)),
    };

    private static string Nanos(long nanos) => Math.Max(0, nanos).ToString(CultureInfo.InvariantCulture) + "ns";

    private static string Str(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static T Pick<T>(Random random, T[] choices) => choices[random.Next(choices.Length)];
}
