using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Evaluation;
using Query.Api.Apis;
using Query.Api.Reading;

namespace Query.Api.Search;

/// <summary>The TraceQL side of the search routes: parse errors and regular-expression timeouts become 400s.</summary>
public static class TraceQLSearch
{
    /// <summary>Parses <c>q</c>; an invalid query is a <see cref="QueryParameterException"/> naming the position and what was expected.</summary>
    public static TraceQLQuery Parse(string text)
    {
        try
        {
            return TraceQLQuery.Parse(text);
        }
        catch (TraceQLParseException e)
        {
            throw new QueryParameterException($"TraceQL (q): {e.Message}");
        }
    }

    /// <summary>Runs <see cref="ExactTraceSearch.FindAsync"/>; a regular expression past its match timeout is a <see cref="QueryParameterException"/>.</summary>
    public static async Task<TraceMatches> FindAsync(QueryServices services, SpanQuery candidates, TraceMatcher matcher, int limit)
    {
        try
        {
            return await ExactTraceSearch.FindAsync(services, candidates, matcher, limit);
        }
        catch (TraceQLEvaluationException e)
        {
            throw new QueryParameterException($"TraceQL (q): {e.Message}");
        }
    }
}
