using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.V1;
using OtelStorage.Workload;
using Parquet;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class ParquetFooterTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public ParquetFooterTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 4 })]
    [InlineData(new[] { 6 })]
    [InlineData(new[] { 2, 3 })]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6 })]
    public async Task AFooterOfSomeRowGroupsReadsThemAsTheWholeFooterDoes(int[] chosen)
    {
        var ct = TestContext.Current.CancellationToken;
        var (data, index) = await WriteAsync(ct);
        Assert.True(index.RowGroups.Count >= 7, $"{index.RowGroups.Count} row groups");

        var footer = index.Footer.For(chosen);
        // Column chunks keep absolute offsets: the data before the original footer, then the new footer, is a valid file.
        var spliced = data.AsSpan(0, data.Length - index.FooterBytes.Length).ToArray().Concat(footer).ToArray();
        await using var whole = await ParquetReader.CreateAsync(new MemoryStream(data), cancellationToken: ct);
        await using var part = await ParquetReader.CreateAsync(new MemoryStream(spliced), cancellationToken: ct);

        Assert.Equal(chosen.Length, part.RowGroupCount);
        Assert.Equal(chosen.Sum(g => index.RowGroups[g].Rows), part.Metadata!.NumRows);
        Assert.Equal(whole.Schema, part.Schema);
        Assert.Equal(whole.CustomMetadata, part.CustomMetadata);
        for (var i = 0; i < chosen.Length; i++)
        {
            using var expected = whole.OpenRowGroupReader(chosen[i]);
            using var actual = part.OpenRowGroupReader(i);
            var expectedRows = await V1Rows.ReadAllAsync(expected, null, ct);
            var actualRows = await V1Rows.ReadAllAsync(actual, null, ct);
            Assert.Equal(expectedRows.Count, actualRows.Count);
            Assert.Equal(expectedRows.TraceId, actualRows.TraceId);
            Assert.Equal(expectedRows.SpanRest, actualRows.SpanRest);
            Assert.Equal(expectedRows.Start, actualRows.Start);
            Assert.Equal(expectedRows.ServiceName, actualRows.ServiceName);
        }
    }

    [Fact]
    public async Task RowGroupByteRangesAreThoseParquetNetReadsFromTheWholeFooter()
    {
        var ct = TestContext.Current.CancellationToken;
        var (data, index) = await WriteAsync(ct);
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(data), cancellationToken: ct);
        var metadata = reader.Metadata!;

        Assert.Equal(metadata.RowGroups.Count, index.Footer.RowGroupCount);
        for (var g = 0; g < metadata.RowGroups.Count; g++)
        {
            var columns = metadata.RowGroups[g].Columns.Select(c => c.MetaData!).ToList();
            // A column chunk starts at its dictionary page when it has one, else at its first data page.
            var starts = columns.Select(m => m.DictionaryPageOffset is long d && d > 0 && d < m.DataPageOffset ? d : m.DataPageOffset).ToList();
            var first = starts.Min();
            var end = columns.Select((m, i) => starts[i] + m.TotalCompressedSize).Max();

            Assert.Equal((first, end - first), index.Footer.ByteRange(g));
            Assert.Equal((first, (int)(end - first)), (index.RowGroups[g].Offset, index.RowGroups[g].Length));
        }
    }

    [Fact]
    public async Task AFooterCutShortOrCorruptedIsInvalidData()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, index) = await WriteAsync(ct);
        var metadata = index.FooterBytes[..^8].ToArray();

        for (var cut = 0; cut < metadata.Length; cut += Math.Max(1, metadata.Length / 200))
        {
            Assert.Throws<InvalidDataException>(() => ParquetFooter.Parse(WithTrailer(metadata[..cut])));
        }

        var unknownType = (byte[])metadata.Clone();
        unknownType[0] = 0x1E; // field 1 of Thrift type 14, which the compact protocol does not define
        Assert.Throws<InvalidDataException>(() => ParquetFooter.Parse(WithTrailer(unknownType)));
        Assert.Throws<InvalidDataException>(() => ParquetFooter.Parse(metadata));
    }

    private async Task<(byte[] Data, V1BlockIndex Index)> WriteAsync(CancellationToken ct)
    {
        var requests = new RealisticSpanGenerator(seed: 11).Requests(7_000, 500).ToList();
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 1_000 });
        var data = await File.ReadAllBytesAsync(Path.Combine(_folder, "blocks", "t1", meta.BlockId, "data.parquet"), ct);
        return (data, Assert.IsType<V1BlockIndex>(await _store.ReadIndexAsync(meta, ct)));
    }

    private static byte[] WithTrailer(byte[] metadata) =>
        [.. metadata, .. BitConverter.GetBytes(metadata.Length), .. "PAR1"u8.ToArray()];
}
