using System.Diagnostics;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using Xunit;
using static OtelStorage.TraceQL.Tests.TestTraces;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Hostile queries end in a parse error or a result within the time limits: never a stack overflow, a hang or another exception.</summary>
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("", "(")]
    [InlineData("", "({ } | ")]
    [InlineData("{ ", "(")]
    [InlineData("{ ", "!")]
    [InlineData("{ ", "-")]
    [InlineData("{ .a = ", "(")]
    [InlineData("{ .a = ", "2 ^ ")]
    [InlineData("count() > ", "(")]
    [InlineData("{ } | by(", "(")]
    public void A100000LevelNestingIsRefusedWithoutExhaustingTheStack(string start, string repeated)
    {
        var query = start + string.Concat(Enumerable.Repeat(repeated, 100_000));

        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query, new TraceQLParseOptions { MaxQueryLength = 1_000_000 }));

        Assert.Contains("nests more than 128 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestingUpToTheLimitParses()
    {
        var query = "{ " + new string('(', 100) + ".a = 1" + new string(')', 100) + " }";

        Assert.Equal("{ .a = 1 }", TraceQLQuery.Parse(query).ToString());
    }

    [Fact]
    public void ALongChainOfOneArithmeticOperatorIsRefusedAsTooDeep()
    {
        var query = "{ .a = " + string.Join(" + ", Enumerable.Repeat("1", 5000)) + " }";

        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.Contains("nests more than 128 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThousandsOfConditionsJoinedByAndParseAndEvaluate()
    {
        var query = TraceQLQuery.Parse("{ " + string.Join(" && ", Enumerable.Repeat("span.http.status_code >= 200", 2000)) + " }");

        var matched = TraceSet.All.SelectMany(t => query.Evaluate(t)).SelectMany(s => s.Spans).Select(s => TraceSet.Label(s.Span));

        Assert.Equal("a1 a2 a4 a5 b1 b2 b3 b5 c1 c2 c3 c4 d3", string.Join(' ', matched));
    }

    [Fact]
    public void HugeLiteralsParseWithinTheLengthLimit()
    {
        var value = new string('x', 60_000);

        var query = TraceQLQuery.Parse($"{{ span.a = \"{value}\" }}");

        Assert.Equal($"{{ span.a = \"{value}\" }}", query.ToString());
    }

    [Theory]
    [InlineData("{ .a = 123456789012345678901234567890 }")]
    [InlineData("{ .a = 1e999 }")]
    [InlineData("{ .a > 9999999999999999h }")]
    public void NumbersOutOfRangeAreParseErrors(string query)
    {
        Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));
    }

    [Fact]
    public void ACatastrophicRegexRunsInLinearTime()
    {
        var trace = Of(Span("1", attributes: [TraceSet.Kv("payload", new string('a', 100_000) + "b")]));
        var query = TraceQLQuery.Parse("{ span.payload =~ \"(a+)+$\" }");

        var stopwatch = Stopwatch.StartNew();
        var result = query.Evaluate(trace);

        Assert.Empty(result);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void ARegexThatRunsPastItsTimeoutIsAnEvaluationError()
    {
        var trace = Of(Span("1", attributes: [TraceSet.Kv("payload", new string('a', 5_000_000))]));
        var query = TraceQLQuery.Parse("{ span.payload =~ \"(a|aa|aaa|aaaa)*b\" }", new TraceQLParseOptions { RegexMatchTimeout = TimeSpan.FromTicks(1) });

        var error = Assert.Throws<TraceQLEvaluationException>(() => query.Evaluate(trace));

        Assert.Contains("took longer than", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ .a =~ \"(?=a)a\" }")]
    [InlineData("{ .a =~ \"(?<=a)b\" }")]
    [InlineData("{ .a =~ \"(?>a)\" }")]
    [InlineData("{ .a =~ \"[\" }")]
    public void RegexConstructsWithoutALinearTimeMatchAreRefused(string query)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.Contains("invalid regular expression", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APatternReadFromSpanDataThatDoesNotCompileMatchesNothing()
    {
        var trace = Of(Span("1", attributes: [TraceSet.Kv("value", "x"), TraceSet.Kv("pattern", "(")]), Span("2", attributes: [TraceSet.Kv("value", "x"), TraceSet.Kv("pattern", "x|y")]));

        Assert.Equal("2", Matches("{ span.value =~ span.pattern }", trace));
    }

    [Fact]
    public void RandomTokenSequencesOnlyEverParseOrFailWithAParseError()
    {
        var random = new Random(20_231);
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var tokens = RandomQuery.Tokens(random);
            RandomQuery.Mutate(random, tokens);
            var text = string.Join(random.Next(4) == 0 ? "" : " ", tokens);
            try
            {
                var query = TraceQLQuery.Parse(text);
                parsed++;
                Assert.Equal(query.Expression, TraceQLQuery.Parse(query.ToString()).Expression);
                foreach (var trace in TraceSet.All)
                {
                    query.Evaluate(trace);
                }
            }
            catch (TraceQLParseException)
            {
            }
        }

        Assert.True(parsed > 2_000, $"only {parsed} of 20000 random queries parsed; the generator no longer exercises the evaluator");
    }

    [Fact]
    public void RandomCharactersOnlyEverParseOrFailWithAParseError()
    {
        const string alphabet = "{}()|=!~<>&*+-/%^,.:\"`\\ \n\tabcsnpz019_µ";
        var random = new Random(77);
        for (var i = 0; i < 20_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 30)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            try
            {
                TraceQLQuery.Parse(text).Evaluate(TraceSet.Get('a'));
            }
            catch (TraceQLParseException)
            {
            }
        }
    }

    [Fact]
    public void MalformedTracesWithParentCyclesAndDuplicateIdsStillEvaluate()
    {
        var trace = new TraceData
        {
            Spans =
            [
                Span("1", "2", name: "a"),
                Span("2", "1", name: "b"),
                Span("3", "3", name: "c"),
                Span("1", "", name: "d"),
                new TraceSpan { Name = "empty" },
            ],
        };

        var query = TraceQLQuery.Parse("{ } >> { } | count() > 0");

        Assert.NotNull(query.Evaluate(trace));
        Assert.NotNull(TraceQLQuery.Parse("{ } ~ { } || { } &<< { } || { traceDuration > 0 && rootName != nil && span:childCount >= 0 }").Evaluate(trace));
    }
}
