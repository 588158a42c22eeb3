using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Every query of Tempo's TraceQL documentation parses, and returns the spans worked out by hand from the trace set.</summary>
public sealed class DocExampleTests
{
    public static TheoryData<int, string> Searches => [.. DocExamples.All.Where(e => !e.IsMetrics).Select(e => (e.Line, e.Query))];

    public static TheoryData<int, string> MetricsQueries => [.. DocExamples.All.Where(e => e.IsMetrics).Select(e => (e.Line, e.Query))];

    [Fact]
    public void TheExampleFileHoldsTheDocumentedQueries()
    {
        Assert.True(DocExamples.All.Count(e => !e.IsMetrics) >= 130, $"only {DocExamples.All.Count} examples were read");
        Assert.Contains(DocExamples.All, e => e.Source.StartsWith("construct-traceql-queries.md", StringComparison.Ordinal));
        Assert.Contains(DocExamples.All, e => e.Source.StartsWith("_index.md", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void EveryDocumentedSearchQueryParses(int line, string query)
    {
        var parsed = TraceQLQuery.Parse(query);

        Assert.Equal(parsed.Expression, TraceQLQuery.Parse(parsed.ToString()).Expression);
        Assert.True(line > 0);
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void EveryDocumentedSearchQueryReturnsTheHandWorkedSpans(int line, string query)
    {
        var example = DocExamples.AtLine(line);
        var parsed = TraceQLQuery.Parse(query);

        var matched = TraceSet.All
            .SelectMany(trace => parsed.Evaluate(trace))
            .SelectMany(spanset => spanset.Spans)
            .Select(span => TraceSet.Label(span.Span))
            .Distinct()
            .Order(StringComparer.Ordinal);

        Assert.Equal(example.Expected.Order(StringComparer.Ordinal), matched);
    }

    [Theory]
    [MemberData(nameof(MetricsQueries))]
    public void DocumentedMetricsQueriesAreRefusedAsNotSupportedYet(int line, string query)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.Contains("metrics queries are not supported yet", error.Message, StringComparison.Ordinal);
        Assert.True(line > 0);
    }
}
