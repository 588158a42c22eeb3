using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>A checked query with what evaluation reuses across traces; safe to evaluate from several threads at once.</summary>
internal sealed class CompiledQuery
{
    private const int DynamicPatternCacheSize = 256;

    private readonly Dictionary<BinaryExpression, Regex> _patterns;
    private readonly ConcurrentDictionary<string, Regex?> _dynamicPatterns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<FieldExpression, ScopeUse> _scopeUse = new(ReferenceEqualityComparer.Instance);

    public CompiledQuery(QueryExpression expression, Dictionary<BinaryExpression, Regex> patterns, TimeSpan matchTimeout)
    {
        Expression = expression;
        _patterns = patterns;
        MatchTimeout = matchTimeout;
        SelectFields = [.. SelectStages(expression.Pipeline).SelectMany(s => s.Fields).Distinct()];
    }

    public QueryExpression Expression { get; }

    public TimeSpan MatchTimeout { get; }

    /// <summary>Every field any <c>select()</c> of the query names, once each, in the order written.</summary>
    public ImmutableArray<FieldReference> SelectFields { get; }

    /// <summary>The compiled pattern of a comparison whose right side is a string literal, if it is one.</summary>
    public Regex? PatternOf(BinaryExpression comparison) => _patterns.GetValueOrDefault(comparison);

    /// <summary>Compiles a pattern read from span data at run time; one that does not compile matches nothing.</summary>
    public Regex? DynamicPattern(string pattern)
    {
        if (_dynamicPatterns.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        var regex = RegexPattern.TryCompile(pattern, MatchTimeout);
        if (_dynamicPatterns.Count < DynamicPatternCacheSize)
        {
            _dynamicPatterns.TryAdd(pattern, regex);
        }

        return regex;
    }

    /// <summary>Whether <paramref name="expression"/> reads event or link fields, which bind one event or link at a time.</summary>
    public ScopeUse ScopeUseOf(FieldExpression expression) => _scopeUse.GetOrAdd(expression, Find);

    private static ScopeUse Find(FieldExpression expression) => expression switch
    {
        AttributeReference { Scope: AttributeScope.Event } => new ScopeUse(Events: true, Links: false),
        AttributeReference { Scope: AttributeScope.Link } => new ScopeUse(Events: false, Links: true),
        IntrinsicReference intrinsic => new ScopeUse(
            Intrinsics.ScopeOf(intrinsic.Intrinsic) == AttributeScope.Event,
            Intrinsics.ScopeOf(intrinsic.Intrinsic) == AttributeScope.Link),
        UnaryExpression unary => Find(unary.Operand),
        BinaryExpression binary => Find(binary.Left) | Find(binary.Right),
        _ => default,
    };

    private static IEnumerable<SelectStage> SelectStages(Pipeline pipeline)
    {
        foreach (var stage in pipeline.Stages)
        {
            var nested = stage switch
            {
                SelectStage select => [select],
                Pipeline inner => SelectStages(inner),
                SpansetOperation operation => SelectStages(new Pipeline(ImmutableArray.Create<PipelineStage>(operation.Left, operation.Right))),
                ScalarFilter filter => ScalarPipelines(filter.Left).Concat(ScalarPipelines(filter.Right)).SelectMany(SelectStages),
                _ => [],
            };
            foreach (var select in nested)
            {
                yield return select;
            }
        }
    }

    private static IEnumerable<Pipeline> ScalarPipelines(ScalarExpression scalar) => scalar switch
    {
        PipelineAggregate aggregate => [aggregate.Source],
        ScalarBinaryExpression binary => ScalarPipelines(binary.Left).Concat(ScalarPipelines(binary.Right)),
        _ => [],
    };
}

/// <summary>Which of the one-at-a-time scopes an expression reads.</summary>
internal readonly record struct ScopeUse(bool Events, bool Links)
{
    public static ScopeUse operator |(ScopeUse left, ScopeUse right) => new(left.Events || right.Events, left.Links || right.Links);
}
