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

    public List<Slice> Scopes { get; } = [];

    public Dictionary<byte[], int> ResourceIds { get; } = new(ByteArrayComparer.Instance);

    public Dictionary<byte[], int> ScopeIds { get; } = new(ByteArrayComparer.Instance);
}
