namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// The serialized resources and scopes of a block, and each resource's service name, indexed by
/// <see cref="V1Row.Resource"/> and <see cref="V1Row.Scope"/>. Each distinct envelope is kept once: the ID maps give
/// its index by its bytes, for spans that arrive as requests and rows copied from blocks alike.
/// </summary>
internal sealed class V1Envelopes
{
    public List<Slice> Resources { get; } = [];

    public List<int> ResourceServices { get; } = [];

    /// <summary>Resources whose first <c>service.name</c> is not a string, so that their service column is not that attribute's value.</summary>
    public HashSet<int> InexactServices { get; } = [];

    public List<Slice> Scopes { get; } = [];

    public Dictionary<byte[], int> ResourceIds { get; } = new(ByteArrayComparer.Instance);

    public Dictionary<byte[], int> ScopeIds { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Records the service (a string ID) of resource <paramref name="resourceId"/>, the next one, from its attributes.</summary>
    public void AddResourceService(int resourceId, int service, IEnumerable<OpenTelemetry.Proto.Common.V1.KeyValue>? attributes)
    {
        ResourceServices.Add(service);
        var first = attributes?.FirstOrDefault(kv => kv.Key == "service.name");
        if (first is not null && first.Value?.ValueCase != OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.StringValue)
        {
            InexactServices.Add(resourceId);
        }
    }
}
