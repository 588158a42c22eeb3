using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;
using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>The shape of the syntax tree, written back in canonical form with every nested operation in parentheses.</summary>
public sealed class ParserTests
{
    [Theory]
    [InlineData("{ .a * .b + .c }", "{ (.a * .b) + .c }")]
    [InlineData("{ .a + .b * .c }", "{ .a + (.b * .c) }")]
    [InlineData("{ ( .a + .b ) * .c }", "{ (.a + .b) * .c }")]
    [InlineData("{ .a + .b ^ .c }", "{ .a + (.b ^ .c) }")]
    [InlineData("{ .a ^ .b ^ .c }", "{ .a ^ (.b ^ .c) }")]
    [InlineData("{ .a = .b + .c }", "{ .a = (.b + .c) }")]
    [InlineData("{ .a + .b = .c }", "{ (.a + .b) = .c }")]
    [InlineData("{ .c - -.a + .b }", "{ (.c - (-.a)) + .b }")]
    [InlineData("{ .c - -( .a + .b ) }", "{ .c - (-(.a + .b)) }")]
    [InlineData("{ .a && .b = .c }", "{ .a && (.b = .c) }")]
    [InlineData("{ .a = .b && .c }", "{ (.a = .b) && .c }")]
    [InlineData("{ .a = !.b && .c }", "{ (.a = (!.b)) && .c }")]
    [InlineData("{ .a = !( .b && .c ) }", "{ .a = (!(.b && .c)) }")]
    [InlineData("{ .a = .b || .c = .d}", "{ (.a = .b) || (.c = .d) }")]
    [InlineData("{ !.a = .b }", "{ (!.a) = .b }")]
    [InlineData("{ !(.a = .b) }", "{ !(.a = .b) }")]
    [InlineData("{ -.a = .b }", "{ (-.a) = .b }")]
    [InlineData("{ .a || .b && .c }", "{ (.a || .b) && .c }")]
    [InlineData("{ .a && .b || .c }", "{ (.a && .b) || .c }")]
    [InlineData("{ 1 * -1 = -1 }", "{ (1 * (-1)) = (-1) }")]
    public void FieldOperatorsBindAsTempoDeclaresThem(string query, string canonical)
    {
        Assert.Equal(canonical, TraceQLQuery.Parse(query).ToString());
    }

    [Theory]
    [InlineData("{ true } && { false } >> { .a }", "{ true } && ({ false } >> { .a })")]
    [InlineData("{ true } >> { false } && { .a }", "({ true } >> { false }) && { .a }")]
    [InlineData("({ true } >> { false }) && { .a }", "({ true } >> { false }) && { .a }")]
    [InlineData("{ true } >> { false } ~ { .a }", "({ true } >> { false }) ~ { .a }")]
    [InlineData("{ true } ~ { false } >> { .a }", "({ true } ~ { false }) >> { .a }")]
    [InlineData("({ true }) && ({ false })", "{ true } && { false }")]
    [InlineData("{ } !~ { } &~ { }", "({ } !~ { }) &~ { }")]
    public void SpansetOperatorsBindAsTempoDeclaresThem(string query, string canonical)
    {
        Assert.Equal(canonical, TraceQLQuery.Parse(query).ToString());
    }

    [Theory]
    [InlineData("avg(.foo) > count() + sum(.bar)", "avg(.foo) > (count() + sum(.bar))")]
    [InlineData("avg(.foo) + count() > sum(.bar)", "(avg(.foo) + count()) > sum(.bar)")]
    [InlineData("{ } | count() > 2 | by(.a) | coalesce()", "{ } | count() > 2 | by(.a) | coalesce()")]
    [InlineData("by(.a + .b) | count() >= -1", "by(.a + .b) | count() >= -1")]
    [InlineData("{ } | select(.a, span:id, duration)", "{ } | select(.a, span:id, duration)")]
    [InlineData("({ .a } | count()) > ({ .b } | count())", "({ .a } | count()) > ({ .b } | count())")]
    [InlineData("({ .a } | count() > 1) && { .b }", "({ .a } | count() > 1) && { .b }")]
    [InlineData("{ } | (count() + 1) * 2 > 3", "{ } | ((count() + 1) * 2) > 3")]
    public void PipelinesChainStagesAndCompareScalars(string query, string canonical)
    {
        Assert.Equal(canonical, TraceQLQuery.Parse(query).ToString());
    }

    [Theory]
    [InlineData("duration", Intrinsic.Duration)]
    [InlineData("span:duration", Intrinsic.Duration)]
    [InlineData("name", Intrinsic.Name)]
    [InlineData("span:name", Intrinsic.Name)]
    [InlineData("status", Intrinsic.Status)]
    [InlineData("span:status", Intrinsic.Status)]
    [InlineData("statusMessage", Intrinsic.StatusMessage)]
    [InlineData("span:statusMessage", Intrinsic.StatusMessage)]
    [InlineData("kind", Intrinsic.Kind)]
    [InlineData("span:kind", Intrinsic.Kind)]
    [InlineData("childCount", Intrinsic.ChildCount)]
    [InlineData("span:childCount", Intrinsic.ChildCount)]
    [InlineData("span:id", Intrinsic.SpanId)]
    [InlineData("span:parentID", Intrinsic.ParentId)]
    [InlineData("trace:id", Intrinsic.TraceId)]
    [InlineData("traceDuration", Intrinsic.TraceDuration)]
    [InlineData("trace:duration", Intrinsic.TraceDuration)]
    [InlineData("rootName", Intrinsic.TraceRootName)]
    [InlineData("trace:rootName", Intrinsic.TraceRootName)]
    [InlineData("rootServiceName", Intrinsic.TraceRootService)]
    [InlineData("trace:rootService", Intrinsic.TraceRootService)]
    [InlineData("event:name", Intrinsic.EventName)]
    [InlineData("event:timeSinceStart", Intrinsic.EventTimeSinceStart)]
    [InlineData("link:traceID", Intrinsic.LinkTraceId)]
    [InlineData("link:spanID", Intrinsic.LinkSpanId)]
    [InlineData("instrumentation:name", Intrinsic.InstrumentationName)]
    [InlineData("instrumentation:version", Intrinsic.InstrumentationVersion)]
    public void EveryIntrinsicSpellingNamesItsIntrinsic(string spelling, Intrinsic intrinsic)
    {
        var filter = (SpansetFilter)TraceQLQuery.Parse($"{{ {spelling} != nil }}").Expression.Pipeline.Stages[0];

        var exists = Assert.IsType<UnaryExpression>(filter.Condition);
        Assert.Equal(new IntrinsicReference(intrinsic, spelling), exists.Operand);
        Assert.Equal(UnaryOperator.Exists, exists.Operator);
    }

    [Fact]
    public void NilComparisonsBecomeExistenceTests()
    {
        Assert.Equal("{ span.a != nil }", TraceQLQuery.Parse("{ nil != span.a }").ToString());
        Assert.Equal("{ span.a = nil }", TraceQLQuery.Parse("{ span.a = nil }").ToString());
        Assert.Equal("{ false }", TraceQLQuery.Parse("{ nil = nil }").ToString());
    }

    [Fact]
    public void LiteralsKeepTheirTypes()
    {
        var filter = (SpansetFilter)TraceQLQuery.Parse("{ .a = 1 && .b = 1.5 && .c = 2s && .d = true && .e = error && .f = client && .g = minInt && .h = `x` }")
            .Expression.Pipeline.Stages[0];

        var literals = Literals(filter.Condition!).ToList();

        Assert.Equal(
            [TraceQLValue.Int(1), TraceQLValue.Float(1.5), TraceQLValue.Duration(2_000_000_000), TraceQLValue.Bool(true),
             TraceQLValue.Status(SpanStatus.Error), TraceQLValue.Kind(SpanKind.Client), TraceQLValue.Int(long.MinValue), TraceQLValue.String("x")],
            literals);
    }

    [Fact]
    public void HintsAreKeptWithTheirValues()
    {
        var query = TraceQLQuery.Parse("{ } with (most_recent=true, sample=0.5, name=\"x\")");

        Assert.Equal(
            [("most_recent", TraceQLValue.Bool(true)), ("sample", TraceQLValue.Float(0.5)), ("name", TraceQLValue.String("x"))],
            query.Hints.Select(h => (h.Name, h.Value)));
        Assert.Equal("{ } with (most_recent=true, sample=0.5, name=\"x\")", query.ToString());
    }

    [Fact]
    public void NodesRememberWhereTheyStart()
    {
        var filter = (SpansetFilter)TraceQLQuery.Parse("{\n  span.a = 1 }").Expression.Pipeline.Stages[0];
        var comparison = Assert.IsType<BinaryExpression>(filter.Condition);

        Assert.Equal((2, 3), (comparison.Left.Position.Line, comparison.Left.Position.Column));
        Assert.Equal((2, 10), (comparison.Position.Line, comparison.Position.Column));
    }

    [Fact]
    public void TreesCompareByContentNotByPosition()
    {
        Assert.Equal(TraceQLQuery.Parse("{ .a = 1 }").Expression, TraceQLQuery.Parse("{\n\n   .a   =   1 }").Expression);
        Assert.NotEqual(TraceQLQuery.Parse("{ .a = 1 }").Expression, TraceQLQuery.Parse("{ .a = 2 }").Expression);
    }

    [Fact]
    public void LongChainsOfOneOperatorAreBalancedSoTheyStayShallow()
    {
        var conditions = string.Join(" && ", Enumerable.Range(0, 1000).Select(i => $"span.a{i} = {i}"));

        var condition = ((SpansetFilter)TraceQLQuery.Parse("{ " + conditions + " }").Expression.Pipeline.Stages[0]).Condition!;

        Assert.Equal(1000, Literals(condition).Count());
        Assert.True(Height(condition) < 20);
    }

    private static IEnumerable<TraceQLValue> Literals(FieldExpression expression) => expression switch
    {
        Literal literal => [literal.Value],
        BinaryExpression binary => Literals(binary.Left).Concat(Literals(binary.Right)),
        UnaryExpression unary => Literals(unary.Operand),
        _ => [],
    };

    private static int Height(FieldExpression expression) => expression switch
    {
        BinaryExpression binary => 1 + Math.Max(Height(binary.Left), Height(binary.Right)),
        UnaryExpression unary => 1 + Height(unary.Operand),
        _ => 1,
    };
}
