namespace OtelStorage.TraceQL.Tests;

/// <summary>The query examples of Tempo's TraceQL documentation, read from Data/traceql-doc-examples.txt.</summary>
internal static class DocExamples
{
    public static IReadOnlyList<DocExample> All { get; } = Load();

    public static DocExample AtLine(int line) => All.Single(e => e.Line == line);

    private static List<DocExample> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "traceql-doc-examples.txt");
        var lines = File.ReadAllLines(path);
        var examples = new List<DocExample>();
        var source = "";
        var query = new List<string>();
        var queryLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("@ ", StringComparison.Ordinal))
            {
                source = line[2..];
            }
            else if (line.StartsWith("> ", StringComparison.Ordinal))
            {
                queryLine = query.Count == 0 ? i + 1 : queryLine;
                query.Add(line[2..]);
            }
            else if (line.StartsWith("= ", StringComparison.Ordinal))
            {
                var expected = line[2..].Trim() == "none" ? [] : line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                examples.Add(new DocExample(source, string.Join('\n', query), expected, queryLine, IsMetrics: false));
                query.Clear();
            }
            else if (line.StartsWith("! ", StringComparison.Ordinal))
            {
                examples.Add(new DocExample(source, line[2..], [], i + 1, IsMetrics: true));
            }
        }

        return query.Count == 0 ? examples : throw new InvalidDataException($"the query at line {queryLine} has no '= ' line");
    }
}

/// <summary>One documented query, the page and section it comes from, and the span labels it returns from <see cref="TraceSet"/>.</summary>
internal sealed record DocExample(string Source, string Query, IReadOnlyList<string> Expected, int Line, bool IsMetrics);
