namespace OtelStorage.TraceQL.Tests;

/// <summary>Random queries for fuzzing: token lists drawn from the grammar, then sometimes broken by a few random edits.</summary>
internal static class RandomQuery
{
    private static readonly string[] Fields =
    [
        "name", "status", "duration", "kind", "statusMessage", "traceDuration", "rootName", "rootServiceName", "span:id", "trace:id",
        "span:parentID", "span:childCount", "event:name", "event:timeSinceStart", "link:spanID", "link:traceID", "instrumentation:name",
        "instrumentation:version", ".a", "span.http.status_code", "resource.service.name", "span.foo", "event.exception.message",
        "link.opentracing.ref_type", "instrumentation.language", "span.\"q q\"", "span.value", "span.ids", "span.cache.hit",
    ];

    private static readonly string[] Values =
    [
        "1", "-2", "200", "1.5", "100ms", "5s", "\"x\"", "\"bar\"", "`GET.*`", "true", "false", "nil", "error", "ok", "unset", "server",
        "client", "minInt", "maxInt", "\"frontend\"", "\"a.*|b\"",
    ];

    private static readonly string[] Comparisons = ["=", "!=", ">", ">=", "<", "<=", "=~", "!~"];
    private static readonly string[] Arithmetic = ["+", "-", "*", "/", "%", "^"];
    private static readonly string[] SpansetOperators = ["&&", "||", ">", "<", ">>", "<<", "~", "!>", "!<", "!>>", "!<<", "!~", "&>", "&<", "&>>", "&<<", "&~"];
    private static readonly string[] Noise = ["{", "}", "(", ")", ",", "|", "&", ":", "$", "\"open", "with", "rate", "parent.x", "foo", "by", "count"];

    public static List<string> Tokens(Random random)
    {
        var tokens = new List<string>();
        Spanset(random, tokens, depth: 0);
        var stages = random.Next(3);
        for (var i = 0; i < stages; i++)
        {
            tokens.Add("|");
            Stage(random, tokens);
        }

        if (random.Next(8) == 0)
        {
            tokens.AddRange(["with", "(", "most_recent", "=", "true", ")"]);
        }

        return tokens;
    }

    public static void Mutate(Random random, List<string> tokens)
    {
        var edits = random.Next(4) == 0 ? random.Next(1, 4) : 0;
        for (var i = 0; i < edits && tokens.Count > 0; i++)
        {
            var at = random.Next(tokens.Count);
            switch (random.Next(3))
            {
                case 0: tokens.RemoveAt(at); break;
                case 1: tokens.Insert(at, Pick(random, Noise)); break;
                default: tokens[at] = Pick(random, [.. Fields, .. Values, .. Comparisons, .. SpansetOperators, .. Noise]); break;
            }
        }
    }

    private static void Spanset(Random random, List<string> tokens, int depth)
    {
        if (depth < 2 && random.Next(3) == 0)
        {
            tokens.Add("(");
            Spanset(random, tokens, depth + 1);
            tokens.Add(Pick(random, SpansetOperators));
            Spanset(random, tokens, depth + 1);
            tokens.Add(")");
            return;
        }

        tokens.Add("{");
        if (random.Next(6) != 0)
        {
            Condition(random, tokens, depth);
        }

        tokens.Add("}");
    }

    private static void Condition(Random random, List<string> tokens, int depth)
    {
        switch (random.Next(depth < 3 ? 6 : 3))
        {
            case 0 or 1:
                tokens.AddRange([Pick(random, Fields), Pick(random, Comparisons), Pick(random, Values)]);
                break;
            case 2:
                tokens.AddRange([Pick(random, Fields), Pick(random, Arithmetic), Pick(random, Values), Pick(random, Comparisons), Pick(random, Values)]);
                break;
            case 3:
                Condition(random, tokens, depth + 1);
                tokens.Add(random.Next(2) == 0 ? "&&" : "||");
                Condition(random, tokens, depth + 1);
                break;
            case 4:
                tokens.AddRange(["!", "("]);
                Condition(random, tokens, depth + 1);
                tokens.Add(")");
                break;
            default:
                tokens.Add(Pick(random, Fields));
                break;
        }
    }

    private static void Stage(Random random, List<string> tokens)
    {
        switch (random.Next(6))
        {
            case 0:
                tokens.AddRange(["count", "(", ")", Pick(random, ["=", "!=", ">", ">=", "<", "<="]), Pick(random, ["0", "1", "3"])]);
                break;
            case 1:
                tokens.AddRange([Pick(random, ["avg", "min", "max", "sum"]), "(", Pick(random, Fields), ")", ">", Pick(random, ["0", "1ms", "1.5"])]);
                break;
            case 2:
                tokens.AddRange(["by", "(", Pick(random, Fields), ")"]);
                break;
            case 3:
                tokens.AddRange(["select", "(", Pick(random, Fields), ",", Pick(random, Fields), ")"]);
                break;
            case 4:
                tokens.AddRange(["coalesce", "(", ")"]);
                break;
            default:
                Spanset(random, tokens, depth: 1);
                break;
        }
    }

    private static string Pick(Random random, string[] choices) => choices[random.Next(choices.Length)];
}
