using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using OtelStorage.Compaction;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Workload;

namespace OtelStorage.Benchmarks.Compaction;

/// <summary>
/// Compaction of <see cref="Blocks"/> batcher blocks (realistic traffic, Zstd Optimal, as Batcher.Worker writes them)
/// into one block over an in-memory object store, so the figure is CPU per span: spans/s per core =
/// <see cref="Spans"/> / mean time on an idle machine. Setup also runs one compaction and prints spans per CPU-second
/// of the process (GC included), which holds on a shared machine, and bytes per span before and after.
/// </summary>
[MemoryDiagnoser]
public class CompactionBenchmarks
{
    public const int Blocks = 10;
    public const int SpansPerBlock = 10_000;
    public const int Spans = Blocks * SpansPerBlock;

    private MemoryObjectStore _objects = new();
    private BlockStore _store = null!;
    private readonly List<string> _sources = [];

    /// <summary>The settings the benchmark method runs with: Compaction's defaults.</summary>
    public CompressionLevel Compression { get; set; } = CompressionLevel.SmallestSize;

    public int RowGroupSpans { get; set; } = 10_000;

    [GlobalSetup]
    public void Setup()
    {
        _objects = new MemoryObjectStore();
        _store = new BlockStore(_objects, new BlockKeys("bench"));
        var generator = new RealisticSpanGenerator(seed: 42);
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        long before = 0, spans = 0;
        for (var b = 0; b < Blocks; b++)
        {
            var builder = BlockEncodings.Current.CreateBuilder("bench", new BlockBuildOptions());
            foreach (var request in generator.Requests(SpansPerBlock, 512))
            {
                builder.Add(request);
            }

            var block = builder.BuildAsync(BlockId.New(at.AddMilliseconds(b)), at, CancellationToken.None).GetAwaiter().GetResult();
            _store.WriteAsync(block, CancellationToken.None).GetAwaiter().GetResult();
            _sources.Add(block.Meta.BlockId);
            before += block.Meta.DataSizeBytes;
            spans += block.Meta.SpanCount;
        }

        Console.WriteLine($"// {spans} spans in {Blocks} blocks, data {before / (double)spans:F1} bytes/span before");
        Compact().GetAwaiter().GetResult(); // JIT warm-up
        foreach (var (compression, rowGroup) in new[] { (CompressionLevel.Optimal, 2_000), (CompressionLevel.SmallestSize, 2_000), (CompressionLevel.Optimal, 10_000), (CompressionLevel.SmallestSize, 10_000) })
        {
            (Compression, RowGroupSpans) = (compression, rowGroup);
            // CPU time rather than wall time: on a shared machine it is what one core would take (GC threads included).
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var result = Compact().GetAwaiter().GetResult();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var block = result.Block!;
            Console.WriteLine($"// {compression}, {rowGroup} rows/group: {spans / cpu.TotalSeconds:F0} spans per CPU-second ({cpu.TotalSeconds:F2} s CPU, {wall.Elapsed.TotalSeconds:F2} s wall); "
                + $"after {block.DataSizeBytes / (double)block.SpanCount:F1} bytes/span data, {block.IndexSizeBytes / (double)block.SpanCount:F1} bytes/span index, {block.RowGroupCount} row groups");
        }

        (Compression, RowGroupSpans) = (CompressionLevel.SmallestSize, 10_000);
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<CompactionResult> CompactBlocks() => await Compact();

    private async Task<CompactionResult> Compact()
    {
        // Each run starts from the same sources: forget the previous run's block, whose replaces would make it a skip.
        _objects.RemoveWhere(key => !_sources.Any(s => key.Contains(s, StringComparison.Ordinal)));
        var compactor = new BlockCompactor(_store, new BlockBuildOptions { Compression = Compression, RowGroupSpans = RowGroupSpans }, TimeProvider.System);
        return await compactor.CompactAsync("bench", _sources, CancellationToken.None);
    }

    private sealed class MemoryObjectStore : IObjectStore
    {
        private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);

        public void RemoveWhere(Func<string, bool> predicate)
        {
            foreach (var key in _objects.Keys.Where(predicate))
            {
                _objects.TryRemove(key, out _);
            }
        }

        public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken) => Task.FromResult(_objects.GetValueOrDefault(key));

        public Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken) =>
            Task.FromResult(_objects[key].AsSpan((int)offset, (int)Math.Min(length, _objects[key].Length - offset)).ToArray());

        public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            _objects[key] = content.ToArray();
            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var key in _objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(k, startAfter) > 0)).Order(StringComparer.Ordinal))
            {
                yield return new ObjectInfo(key, _objects[key].Length, DateTimeOffset.UtcNow);
            }
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken)
        {
            _objects.TryRemove(key, out _);
            return Task.CompletedTask;
        }

        public Task CheckAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
