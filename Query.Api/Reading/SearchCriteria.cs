using OtelStorage.Storage.Blocks;
using Query.Api.Options;

namespace Query.Api.Reading;

/// <summary>
/// Search filters gathered from any of the three APIs, checked against the configured limits and turned into a
/// <see cref="SpanQuery"/>. Well-known tag keys become the promoted filters they mean: <c>service.name</c>,
/// <c>name</c>, <c>status</c>/<c>otel.status_code</c>/<c>error=true</c> and <c>span.kind</c>/<c>kind</c>.
/// </summary>
public sealed class SearchCriteria
{
    public string? Service { get; set; }

    public string? Operation { get; set; }

    public ulong? StartUnixNano { get; set; }

    public ulong? EndUnixNano { get; set; }

    public long? MinDurationNanos { get; set; }

    public long? MaxDurationNanos { get; set; }

    public int? StatusCode { get; set; }

    public int? Kind { get; set; }

    public int? Limit { get; set; }

    public List<KeyValuePair<string, string>> Tags { get; } = [];

    /// <summary>Adds a tag filter, mapping Jaeger's and Tempo's special keys onto promoted filters.</summary>
    public void AddTag(string key, string value)
    {
        var k = key.StartsWith("span.", StringComparison.Ordinal) && key != "span.kind" ? key[5..]
            : key.StartsWith("resource.", StringComparison.Ordinal) ? key[9..]
            : key;
        switch (k)
        {
            case "service.name":
                Service = value;
                break;
            case "name":
                Operation = value;
                break;
            case "status" or "otel.status_code":
                StatusCode = QueryParsing.Status(value);
                break;
            case "error" when value is "true" or "false":
                // Jaeger's error=true; error=false means "not an error", which matches any non-error status and is not a single filter.
                if (value == "true")
                {
                    StatusCode = 2;
                }

                break;
            case "span.kind" or "kind":
                Kind = value.ToLowerInvariant() switch
                {
                    "unspecified" => 0,
                    "internal" => 1,
                    "server" => 2,
                    "client" => 3,
                    "producer" => 4,
                    "consumer" => 5,
                    _ => throw new QueryParameterException($"{key} must be one of internal, server, client, producer, consumer, got '{value}'"),
                };
                break;
            default:
                Tags.Add(new KeyValuePair<string, string>(k, value));
                break;
        }
    }

    /// <summary>Checks the limits and builds the block query. Throws <see cref="QueryParameterException"/> naming the problem.</summary>
    public (SpanQuery Query, int Limit) Build(QueryOptions options, DateTimeOffset now)
    {
        var limit = Limit ?? options.DefaultLimit;
        if (limit < 1 || limit > options.MaxLimit)
        {
            throw new QueryParameterException($"limit must be between 1 and {options.MaxLimit} (Query:MaxLimit), got {limit}");
        }

        var end = EndUnixNano ?? QueryParsing.ToUnixNano(now);
        var start = StartUnixNano ?? (end > (ulong)options.DefaultSearchRange.Ticks * 100 ? end - (ulong)options.DefaultSearchRange.Ticks * 100 : 0);
        if (start > end)
        {
            throw new QueryParameterException("start must not be after end");
        }

        var maxRange = (ulong)options.MaxSearchRange.Ticks * 100;
        if (end - start > maxRange)
        {
            throw new QueryParameterException(
                $"the time range from start to end is {TimeSpan.FromTicks((long)Math.Min((end - start) / 100, (ulong)TimeSpan.MaxValue.Ticks))}, wider than the maximum of {options.MaxSearchRange} (Query:MaxSearchRange): narrow start and end");
        }

        if (MinDurationNanos is < 0 || MaxDurationNanos is < 0)
        {
            throw new QueryParameterException("minDuration and maxDuration must not be negative");
        }

        if (MinDurationNanos is { } min && MaxDurationNanos is { } max && min > max)
        {
            throw new QueryParameterException("minDuration must not be greater than maxDuration");
        }

        var query = new SpanQuery
        {
            StartUnixNano = start,
            EndUnixNano = end,
            Service = string.IsNullOrEmpty(Service) ? null : Service,
            SpanName = string.IsNullOrEmpty(Operation) ? null : Operation,
            StatusCode = StatusCode,
            Kind = Kind,
            MinDurationNanos = MinDurationNanos,
            MaxDurationNanos = MaxDurationNanos,
            Attributes = [.. Tags],
            Limit = limit,
        };
        return (query, limit);
    }
}
