namespace OtelStorage.TraceQL.Evaluation;

/// <summary>A span set during evaluation: indexes into the trace's spans, ascending and distinct, and attached values.</summary>
internal sealed class Spanset(IReadOnlyList<int> spans, IReadOnlyList<SpansetAttribute> attributes)
{
    public IReadOnlyList<int> Spans { get; } = spans;

    public IReadOnlyList<SpansetAttribute> Attributes { get; } = attributes;

    /// <summary>The distinct spans of all <paramref name="sets"/>, ascending.</summary>
    public static IReadOnlyList<int> UnionOfSpans(IReadOnlyList<Spanset> sets)
    {
        if (sets.Count == 1)
        {
            return sets[0].Spans;
        }

        var union = new List<int>();
        foreach (var set in sets)
        {
            union.AddRange(set.Spans);
        }

        union.Sort();
        var distinct = 0;
        for (var i = 0; i < union.Count; i++)
        {
            if (i == 0 || union[i] != union[i - 1])
            {
                union[distinct++] = union[i];
            }
        }

        union.RemoveRange(distinct, union.Count - distinct);
        return union;
    }
}
