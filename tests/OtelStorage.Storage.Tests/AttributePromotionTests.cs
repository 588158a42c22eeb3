using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.V1;
using OtelStorage.Storage.ObjectStore;
using Parquet;
using Xunit;

namespace OtelStorage.Storage.Tests;

/// <summary>Which span attributes a v1 block copies into its promoted columns: those V1Schema.PromotedAttributes lists, and no others.</summary>
public sealed class AttributePromotionTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public AttributePromotionTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IEnumerable<string> PromotedColumns => V1Schema.PromotedAttributes.Select(p => p.Column);

    [Fact]
    public async Task EveryPromotedKeyEndsInItsColumnAndAnUnlistedKeyOfTheSameLengthInNone()
    {
        // An unlisted key with the length and first letter of a promoted one, so only the comparison of keys tells them apart.
        var listed = V1Schema.PromotedAttributes.SelectMany(p => p.Keys).ToHashSet(StringComparer.Ordinal);
        var cases = new List<(string Key, string Column, bool Promoted)>();
        foreach (var (column, keys) in V1Schema.PromotedAttributes)
        {
            foreach (var key in keys)
            {
                var unlisted = key[..^1] + (key[^1] == 'x' ? 'y' : 'x');
                Assert.DoesNotContain(unlisted, listed);
                cases.Add((key, column, true));
                cases.Add((unlisted, column, false));
            }
        }

        var types = ColumnTypes();
        var spans = cases.Select((c, i) => SpanWith(i, [(c.Key, ValueFor(types[c.Column], i))])).ToList();

        var rows = await WriteAndReadPromotedColumnsAsync(spans);

        Assert.NotEmpty(cases);
        for (var i = 0; i < cases.Count; i++)
        {
            var (key, column, promoted) = cases[i];
            foreach (var other in PromotedColumns)
            {
                var expected = promoted && other == column ? Stored(ValueFor(types[other], i)) : Empty(types[other]);
                Assert.True(Equals(expected, rows[$"case {i}"][other]), $"span with attribute '{key}': column {other} holds '{rows[$"case {i}"][other]}', expected '{expected}'");
            }
        }
    }

    [Fact]
    public async Task TheKeyListedFirstFillsItsColumnWhicheverOfTheKeysComesFirstOnTheSpan()
    {
        var types = ColumnTypes();
        var spans = new List<Span>();
        var expected = new List<(string Column, object Value)>();
        foreach (var (column, keys) in V1Schema.PromotedAttributes.Where(p => p.Keys.Length > 1))
        {
            var attributes = keys.Select((key, rank) => (key, ValueFor(types[column], 10 * spans.Count + rank))).ToList();
            var first = Stored(attributes[0].Item2);
            spans.Add(SpanWith(spans.Count, attributes));
            expected.Add((column, first));
            attributes.Reverse();
            spans.Add(SpanWith(spans.Count, attributes));
            expected.Add((column, first));
        }

        var rows = await WriteAndReadPromotedColumnsAsync(spans);

        Assert.NotEmpty(spans);
        for (var i = 0; i < spans.Count; i++)
        {
            Assert.Equal(expected[i].Value, rows[$"case {i}"][expected[i].Column]);
        }
    }

    private static Span SpanWith(int i, IEnumerable<(string Key, AnyValue Value)> attributes) => new()
    {
        TraceId = ByteString.CopyFrom(TestData.Id(16, i)),
        SpanId = ByteString.CopyFrom(TestData.Id(8, i)),
        Name = $"case {i}",
        StartTimeUnixNano = 1_764_061_200_000_000_000UL + (ulong)i,
        EndTimeUnixNano = 1_764_061_200_100_000_000UL,
        Attributes = { attributes.Select(a => new KeyValue { Key = a.Key, Value = a.Value }) },
    };

    private static AnyValue ValueFor(Type column, int i) =>
        column == typeof(int) ? new AnyValue { IntValue = 200 + i } : new AnyValue { StringValue = $"value {i}" };

    private static object Stored(AnyValue value) => value.ValueCase == AnyValue.ValueOneofCase.IntValue ? (int)value.IntValue : value.StringValue;

    private static object Empty(Type column) => column == typeof(int) ? 0 : string.Empty;

    /// <summary>The CLR type of each promoted column in the v1 schema: int or string.</summary>
    private static Dictionary<string, Type> ColumnTypes() =>
        PromotedColumns.ToDictionary(c => c, c => V1Schema.Schema.FindDataField(c).ClrType == typeof(int) ? typeof(int) : typeof(string), StringComparer.Ordinal);

    /// <summary>Writes the spans as a block, and reads back each row's promoted columns from the data object, by span name.</summary>
    private async Task<Dictionary<string, Dictionary<string, object>>> WriteAndReadPromotedColumnsAsync(List<Span> spans)
    {
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "promotion" } } } },
                    ScopeSpans = { new ScopeSpans { Spans = { spans } } },
                },
            },
        };
        var meta = await TestData.WriteBlockAsync(_store, "t1", [request]);
        var data = await new FileSystemObjectStore(_folder).ReadAsync(_store.Keys.Data("t1", meta.BlockId), Ct);
        Assert.NotNull(data);

        var rows = new Dictionary<string, Dictionary<string, object>>(StringComparer.Ordinal);
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(data), cancellationToken: Ct);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);
            var names = new string?[n];
            await group.ReadAsync(reader.Schema.FindDataField(V1Schema.Name.Name), names.AsMemory(), null, Ct);
            var columns = new Dictionary<string, object[]>(StringComparer.Ordinal);
            foreach (var column in PromotedColumns)
            {
                var field = reader.Schema.FindDataField(column);
                if (field.ClrType == typeof(int))
                {
                    var ints = new int[n];
                    await group.ReadAsync<int>(field, ints.AsMemory(), null, Ct);
                    columns[column] = [.. ints.Cast<object>()];
                }
                else
                {
                    var strings = new string?[n];
                    await group.ReadAsync(field, strings.AsMemory(), null, Ct);
                    columns[column] = [.. strings.Select(s => (object)(s ?? string.Empty))];
                }
            }

            for (var i = 0; i < n; i++)
            {
                rows[names[i]!] = PromotedColumns.ToDictionary(c => c, c => columns[c][i], StringComparer.Ordinal);
            }
        }

        Assert.Equal(spans.Count, rows.Count);
        return rows;
    }
}
