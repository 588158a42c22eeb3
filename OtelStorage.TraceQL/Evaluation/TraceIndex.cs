using System.Buffers.Binary;
using OtelStorage.TraceQL.Model;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// What the evaluator derives from a whole trace, computed once and only when a query needs it: each span's parent among
/// the trace's spans, a depth-first order, child counts, sibling groups, the root span and the trace's duration.
/// A span whose parent is not in the trace keeps its own subtree; duplicate span IDs resolve to the first span; a parent
/// cycle in malformed data is broken where the walk first meets it.
/// </summary>
internal sealed class TraceIndex
{
    private const int RootSiblingGroup = 0;

    private int[]? _parent;
    private int[]? _preorder;
    private int[]? _childCount;
    private int[]? _siblingGroup;
    private int? _root;
    private long? _duration;

    public TraceIndex(TraceData trace)
    {
        Trace = trace;
        Spans = trace.Spans;
    }

    public TraceData Trace { get; }

    public IReadOnlyList<TraceSpan> Spans { get; }

    /// <summary>Each span's parent index, or -1 for a root or a span whose parent is not in the trace.</summary>
    public int[] Parent => _parent ?? BuildStructure().Parent;

    /// <summary>Span indexes in depth-first order: every parent before its children.</summary>
    public int[] Preorder => _preorder ?? BuildStructure().Preorder;

    /// <summary>The number of direct children of each span.</summary>
    public int[] ChildCount => _childCount ?? BuildStructure().ChildCount;

    /// <summary>
    /// Each span's sibling group: spans share a group when they have the same parent span ID, present in the trace or not.
    /// Root spans form one group together, as Tempo's nested set gives them all the parent -1.
    /// </summary>
    public int[] SiblingGroup => _siblingGroup ??= BuildSiblingGroups();

    /// <summary>The root span: the earliest-starting span without a parent ID, or -1 when the trace has none.</summary>
    public int Root => _root ??= FindRoot();

    /// <summary>The latest end minus the earliest start over the trace's spans.</summary>
    public long DurationNanos => _duration ??= Spans.Count == 0 ? 0 : Spans.Max(s => s.EndUnixNanos) - Spans.Min(s => s.StartUnixNanos);

    private (int[] Parent, int[] Preorder, int[] ChildCount) BuildStructure()
    {
        var count = Spans.Count;
        var byId = new Dictionary<IdKey, int>(count);
        for (var i = 0; i < count; i++)
        {
            byId.TryAdd(IdKey.Of(Spans[i].SpanId), i);
        }

        var declaredParent = new int[count];
        var childLists = new List<int>?[count];
        for (var i = 0; i < count; i++)
        {
            var span = Spans[i];
            declaredParent[i] = !span.IsRoot && byId.TryGetValue(IdKey.Of(span.ParentSpanId), out var p) && p != i ? p : -1;
            if (declaredParent[i] >= 0)
            {
                (childLists[declaredParent[i]] ??= []).Add(i);
            }
        }

        var parent = new int[count];
        Array.Fill(parent, -1);
        var visited = new bool[count];
        var preorder = new List<int>(count);
        var stack = new Stack<int>();

        // Roots first, then whatever a cycle left unreached, each walked depth first without recursion.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var start = 0; start < count; start++)
            {
                if (visited[start] || (pass == 0 && declaredParent[start] >= 0))
                {
                    continue;
                }

                visited[start] = true;
                stack.Push(start);
                while (stack.Count > 0)
                {
                    var node = stack.Pop();
                    preorder.Add(node);
                    var children = childLists[node];
                    for (var c = (children?.Count ?? 0) - 1; c >= 0; c--)
                    {
                        var child = children![c];
                        if (!visited[child])
                        {
                            visited[child] = true;
                            parent[child] = node;
                            stack.Push(child);
                        }
                    }
                }
            }
        }

        var childCount = new int[count];
        foreach (var p in parent)
        {
            if (p >= 0)
            {
                childCount[p]++;
            }
        }

        _parent = parent;
        _preorder = [.. preorder];
        _childCount = childCount;
        return (_parent, _preorder, _childCount);
    }

    private int[] BuildSiblingGroups()
    {
        var groups = new int[Spans.Count];
        var byParent = new Dictionary<IdKey, int>();
        for (var i = 0; i < Spans.Count; i++)
        {
            var span = Spans[i];
            if (span.IsRoot)
            {
                groups[i] = RootSiblingGroup;
                continue;
            }

            var key = IdKey.Of(span.ParentSpanId);
            if (!byParent.TryGetValue(key, out var group))
            {
                group = byParent.Count + 1;
                byParent[key] = group;
            }

            groups[i] = group;
        }

        return groups;
    }

    private int FindRoot()
    {
        var root = -1;
        for (var i = 0; i < Spans.Count; i++)
        {
            if (Spans[i].IsRoot && (root < 0 || Spans[i].StartUnixNanos < Spans[root].StartUnixNanos))
            {
                root = i;
            }
        }

        return root;
    }

    /// <summary>A span ID as a dictionary key without allocating; IDs longer than 16 bytes fall back to their hex.</summary>
    private readonly record struct IdKey(ulong High, ulong Low, int Length, string? Long)
    {
        public static IdKey Of(byte[] id)
        {
            if (id.Length > 16)
            {
                return new IdKey(0, 0, id.Length, Convert.ToHexString(id));
            }

            Span<byte> padded = stackalloc byte[16];
            id.CopyTo(padded[(16 - id.Length)..]);
            return new IdKey(BinaryPrimitives.ReadUInt64BigEndian(padded), BinaryPrimitives.ReadUInt64BigEndian(padded[8..]), id.Length, null);
        }
    }
}
