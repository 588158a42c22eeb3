using OtelStorage.TraceQL.Ast;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// The structural operators over one trace, each in linear time from the trace's parent links. Plain forms return the
/// right-hand spans that have the relation to some left-hand span; <c>!</c> forms the right-hand spans that have it to
/// none; <c>&amp;</c> forms every span of either side that takes part in the relation.
/// </summary>
internal static class StructuralJoin
{
    public static List<int> Join(SpansetOperator op, TraceIndex trace, IReadOnlyList<int> left, IReadOnlyList<int> right)
    {
        var count = trace.Spans.Count;
        var inLeft = Mark(left, count);
        var inRight = Mark(right, count);
        var result = new bool[count];
        switch (op)
        {
            case SpansetOperator.Child: Keep(result, inRight, ParentIn(trace, inLeft), negate: false); break;
            case SpansetOperator.Parent: Keep(result, inRight, HasChildIn(trace, inLeft), negate: false); break;
            case SpansetOperator.Descendant: Keep(result, inRight, HasAncestorIn(trace, inLeft), negate: false); break;
            case SpansetOperator.Ancestor: Keep(result, inRight, HasDescendantIn(trace, inLeft), negate: false); break;
            case SpansetOperator.Sibling: Keep(result, inRight, HasSiblingIn(trace, inLeft), negate: false); break;
            case SpansetOperator.NotChild: Keep(result, inRight, ParentIn(trace, inLeft), negate: true); break;
            case SpansetOperator.NotParent: Keep(result, inRight, HasChildIn(trace, inLeft), negate: true); break;
            case SpansetOperator.NotDescendant: Keep(result, inRight, HasAncestorIn(trace, inLeft), negate: true); break;
            case SpansetOperator.NotAncestor: Keep(result, inRight, HasDescendantIn(trace, inLeft), negate: true); break;
            case SpansetOperator.NotSibling: Keep(result, inRight, HasSiblingIn(trace, inLeft), negate: true); break;
            case SpansetOperator.UnionChild:
                Keep(result, inRight, ParentIn(trace, inLeft), negate: false);
                Keep(result, inLeft, HasChildIn(trace, inRight), negate: false);
                break;
            case SpansetOperator.UnionParent:
                Keep(result, inRight, HasChildIn(trace, inLeft), negate: false);
                Keep(result, inLeft, ParentIn(trace, inRight), negate: false);
                break;
            case SpansetOperator.UnionDescendant:
                Keep(result, inRight, HasAncestorIn(trace, inLeft), negate: false);
                Keep(result, inLeft, HasDescendantIn(trace, inRight), negate: false);
                break;
            case SpansetOperator.UnionAncestor:
                Keep(result, inRight, HasDescendantIn(trace, inLeft), negate: false);
                Keep(result, inLeft, HasAncestorIn(trace, inRight), negate: false);
                break;
            case SpansetOperator.UnionSibling:
                Keep(result, inRight, HasSiblingIn(trace, inLeft), negate: false);
                Keep(result, inLeft, HasSiblingIn(trace, inRight), negate: false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "not a structural operator");
        }

        var spans = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (result[i])
            {
                spans.Add(i);
            }
        }

        return spans;
    }

    private static bool[] Mark(IReadOnlyList<int> spans, int count)
    {
        var marks = new bool[count];
        foreach (var span in spans)
        {
            marks[span] = true;
        }

        return marks;
    }

    private static void Keep(bool[] result, bool[] candidates, bool[] relation, bool negate)
    {
        for (var i = 0; i < result.Length; i++)
        {
            result[i] |= candidates[i] && relation[i] != negate;
        }
    }

    private static bool[] ParentIn(TraceIndex trace, bool[] marks)
    {
        var parent = trace.Parent;
        var result = new bool[marks.Length];
        for (var i = 0; i < marks.Length; i++)
        {
            result[i] = parent[i] >= 0 && marks[parent[i]];
        }

        return result;
    }

    private static bool[] HasChildIn(TraceIndex trace, bool[] marks)
    {
        var parent = trace.Parent;
        var result = new bool[marks.Length];
        for (var i = 0; i < marks.Length; i++)
        {
            if (marks[i] && parent[i] >= 0)
            {
                result[parent[i]] = true;
            }
        }

        return result;
    }

    private static bool[] HasAncestorIn(TraceIndex trace, bool[] marks)
    {
        var parent = trace.Parent;
        var result = new bool[marks.Length];
        foreach (var i in trace.Preorder)
        {
            var p = parent[i];
            result[i] = p >= 0 && (marks[p] || result[p]);
        }

        return result;
    }

    private static bool[] HasDescendantIn(TraceIndex trace, bool[] marks)
    {
        var parent = trace.Parent;
        var preorder = trace.Preorder;
        var result = new bool[marks.Length];
        for (var k = preorder.Length - 1; k >= 0; k--)
        {
            var i = preorder[k];
            var p = parent[i];
            if (p >= 0 && (marks[i] || result[i]))
            {
                result[p] = true;
            }
        }

        return result;
    }

    private static bool[] HasSiblingIn(TraceIndex trace, bool[] marks)
    {
        var groups = trace.SiblingGroup;
        var markedInGroup = new Dictionary<int, int>();
        for (var i = 0; i < marks.Length; i++)
        {
            if (marks[i])
            {
                markedInGroup[groups[i]] = markedInGroup.GetValueOrDefault(groups[i]) + 1;
            }
        }

        var result = new bool[marks.Length];
        for (var i = 0; i < marks.Length; i++)
        {
            result[i] = markedInGroup.GetValueOrDefault(groups[i]) - (marks[i] ? 1 : 0) > 0;
        }

        return result;
    }
}
