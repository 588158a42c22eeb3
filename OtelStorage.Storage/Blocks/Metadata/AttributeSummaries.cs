using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace OtelStorage.Storage.Blocks.Metadata;

/// <summary>Where an attribute or intrinsic lives, as TraceQL scopes name them.</summary>
public enum AttributeScope
{
    Resource,
    Span,
    Event,
    Link,
    Instrumentation,

    /// <summary>
    /// Span fields TraceQL names without a scope: <c>name</c>, <c>status</c>, <c>kind</c>, <c>statusMessage</c>,
    /// <c>rootName</c>, <c>rootServiceName</c>, <c>event:name</c>, <c>instrumentation:name</c> and <c>instrumentation:version</c>.
    /// </summary>
    Intrinsic,
}

/// <summary>The value types an attribute can have, as <see cref="KeySummary.Values"/> names them.</summary>
public enum AttributeValueType
{
    StringValue,
    IntValue,
    FloatValue,
    BoolValue,

    /// <summary>Bytes, listed in base64.</summary>
    BytesValue,

    /// <summary>An enum intrinsic (status, kind).</summary>
    Keyword,
}

/// <summary>
/// The attribute keys of a block's spans per scope, and per key a bounded summary of its values
/// (<see cref="KeySummary"/>), kept in meta.json so that tag autocompletion reads no span and a search skips blocks
/// that cannot hold a wanted value. Bounded for any input by <see cref="AttributeSummaryLimits"/>. A block written
/// without summaries has <see cref="BlockMeta.Attributes"/> null: it may contain anything.
/// </summary>
public sealed class AttributeSummaries
{
    public ScopeSummary Resource { get; set; } = new();

    public ScopeSummary Span { get; set; } = new();

    public ScopeSummary Event { get; set; } = new();

    public ScopeSummary Link { get; set; } = new();

    public ScopeSummary Instrumentation { get; set; } = new();

    public ScopeSummary Intrinsic { get; set; } = new();

    /// <summary>The summary of one scope.</summary>
    public ScopeSummary Of(AttributeScope scope) => scope switch
    {
        AttributeScope.Resource => Resource,
        AttributeScope.Span => Span,
        AttributeScope.Event => Event,
        AttributeScope.Link => Link,
        AttributeScope.Instrumentation => Instrumentation,
        AttributeScope.Intrinsic => Intrinsic,
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "unknown attribute scope"),
    };

    /// <summary>False only when no span of the block has <paramref name="key"/> in <paramref name="scope"/>.</summary>
    public bool MayContainKey(AttributeScope scope, string key)
    {
        var summary = Of(scope);
        return summary.Truncated || summary.Keys.ContainsKey(key);
    }

    /// <summary>
    /// False only when no span of the block has <paramref name="key"/> in <paramref name="scope"/> with a value whose
    /// text is <paramref name="value"/> (<see cref="AttributeText.Format"/>: integers in decimal, booleans as
    /// <c>true</c>/<c>false</c>, doubles in round-trip invariant form; intrinsics as TraceQL spells them, such as
    /// <c>error</c> or <c>server</c>). Values are compared by text, whatever their type, so the answer suits
    /// <see cref="SpanQuery.Attributes"/> and any typed comparison alike.
    /// </summary>
    public bool MayContain(AttributeScope scope, string key, string value)
    {
        var summary = Of(scope);
        return summary.Keys.TryGetValue(key, out var values) ? values.MayContain(value) : summary.Truncated;
    }
}

/// <summary>The keys of one scope in a block.</summary>
public sealed class ScopeSummary
{
    /// <summary>Every key the scope has in the block (unless <see cref="Truncated"/>), sorted.</summary>
    public SortedDictionary<string, KeySummary> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// True when keys were left out (past <see cref="AttributeSummaryLimits.MaxKeysPerScope"/>, or longer than
    /// <see cref="AttributeSummaryLimits.MaxKeyBytes"/>): a key absent from <see cref="Keys"/> may then be present.
    /// </summary>
    public bool Truncated { get; set; }
}

/// <summary>
/// The values one key has in a block: listed exactly by type while few and short, and otherwise a bloom filter of
/// their texts, which still says "certainly absent"; past <see cref="AttributeSummaryLimits.MaxSketchedValues"/>
/// distinct values the key keeps no sketch and may contain anything.
/// </summary>
public sealed class KeySummary
{
    private BloomFilter? _bloom;

    /// <summary>
    /// Distinct values by type (<c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>, <c>bytes</c> in base64; for
    /// intrinsics <c>keyword</c> for status and kind), each list sorted. An array's scalar elements are listed as
    /// values of their own (TraceQL matches an array when one element does); maps are not listed.
    /// </summary>
    public SortedDictionary<string, List<string>> Values { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True when <see cref="Values"/> lists every scalar value the key has in the block.</summary>
    public bool Complete { get; set; }

    /// <summary>
    /// When not <see cref="Complete"/>: a serialized <see cref="BloomFilter"/> (base64) of the 128-bit XxHash of every
    /// value's UTF-8 text, or null when the key had too many distinct values to sketch.
    /// </summary>
    public string? Bloom { get; set; }

    /// <summary>False only when the key certainly has no value with text <paramref name="value"/> in the block.</summary>
    public bool MayContain(string value)
    {
        if (Complete)
        {
            foreach (var list in Values.Values)
            {
                if (list.BinarySearch(value, StringComparer.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        if (Bloom is null)
        {
            return true;
        }

        // Meta is cached by readers and asked for every search, so the filter is decoded once; a race decodes it twice.
        _bloom ??= BloomFilter.ReadFrom(Convert.FromBase64String(Bloom));
        Span<byte> key = stackalloc byte[16];
        return _bloom.MayContain(HashKey(Encoding.UTF8.GetBytes(value), key));
    }

    /// <summary>The 16 bytes a value's UTF-8 text enters the bloom filter as (<see cref="AttributeSummaryBuilder"/> writes the same).</summary>
    internal static ReadOnlySpan<byte> HashKey(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(destination, XxHash128.HashToUInt128(utf8));
        return destination;
    }
}

/// <summary>
/// Bounds of a block's <see cref="AttributeSummaries"/>, so that meta.json stays small whatever the spans hold
/// (hostile cardinality, huge keys or values). With the defaults a block's summaries hold at most about 350 KiB:
/// 6 scopes × 128 keys × 128 bytes of keys, 128 KiB of listed values and 64 KiB of bloom filters (85 KiB in base64).
/// </summary>
public sealed record AttributeSummaryLimits
{
    public static readonly AttributeSummaryLimits Default = new();

    /// <summary>Keys kept per scope; further keys mark the scope <see cref="ScopeSummary.Truncated"/>.</summary>
    public int MaxKeysPerScope { get; init; } = 128;

    /// <summary>Longer keys are not kept, and mark their scope truncated.</summary>
    public int MaxKeyBytes { get; init; } = 128;

    /// <summary>Distinct values listed per key; a key with more is not <see cref="KeySummary.Complete"/>.</summary>
    public int MaxValuesPerKey { get; init; } = 32;

    /// <summary>Longer values are not listed (the key is then not complete), but enter its bloom filter.</summary>
    public int MaxValueBytes { get; init; } = 128;

    /// <summary>UTF-8 bytes of listed values per key.</summary>
    public int MaxListedBytesPerKey { get; init; } = 2048;

    /// <summary>UTF-8 bytes of listed values per block, across keys.</summary>
    public int MaxListedBytesPerBlock { get; init; } = 128 * 1024;

    /// <summary>Distinct values a key's bloom filter is built for; a key with more keeps no sketch.</summary>
    public int MaxSketchedValues { get; init; } = 1024;

    /// <summary>Bloom filter false-positive rate: the share of blocks without a value that a search still reads.</summary>
    public double BloomFalsePositiveRate { get; init; } = 0.01;

    /// <summary>Serialized bloom bytes per block, across keys; keys past it keep no sketch.</summary>
    public int MaxBloomBytesPerBlock { get; init; } = 64 * 1024;
}
