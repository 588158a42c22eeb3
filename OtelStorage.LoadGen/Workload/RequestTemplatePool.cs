using OtelStorage.Workload;

namespace OtelStorage.LoadGen.Workload;

/// <summary>
/// The load generator's data: requests made once by <see cref="RealisticSpanGenerator"/>, serialized, and handed out
/// round robin, each copy with fresh IDs and current timestamps (<see cref="RequestTemplate.Patch"/>). A send then
/// costs a copy and a few writes per span instead of building and serializing objects. Make the pool large enough
/// that repeated content does not flatter block compression. Not thread-safe: one producer draws from it.
/// </summary>
public sealed class RequestTemplatePool
{
    private readonly RequestTemplate[] _templates;
    private readonly UniqueIds _ids;
    private int _next;

    public RequestTemplatePool(IEnumerable<RequestTemplate> templates, UniqueIds ids)
    {
        _templates = [.. templates];
        _ids = ids;
        if (_templates.Length == 0)
        {
            throw new ArgumentException("a template pool needs at least one template", nameof(templates));
        }
    }

    public IReadOnlyList<RequestTemplate> Templates => _templates;

    public long SpanCount => _templates.Sum(t => (long)t.SpanCount);

    public long ByteCount => _templates.Sum(t => (long)t.Length);

    /// <summary>
    /// Templates holding <paramref name="spans"/> spans (whole traces) in requests of about
    /// <paramref name="spansPerRequest"/>. <paramref name="seed"/> fixes the data, <paramref name="idSeed"/> the IDs of
    /// every later send.
    /// </summary>
    public static RequestTemplatePool Generate(int seed, int idSeed, int spansPerRequest, long spans)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spans, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(spansPerRequest, 1);
        var templates = new RealisticSpanGenerator(seed).Requests(spans, spansPerRequest).Select(RequestTemplate.From);
        return new RequestTemplatePool(templates, new UniqueIds(idSeed));
    }

    /// <summary>The next template, patched with fresh IDs and its earliest start at <paramref name="nowUnixNano"/>.</summary>
    public PatchedRequest Next(ulong nowUnixNano)
    {
        var template = _templates[_next];
        _next = (_next + 1) % _templates.Length;
        return template.Patch(_ids, nowUnixNano);
    }
}
