namespace OtelStorage.TraceQL.Evaluation;

/// <summary>A valid query could not be evaluated within its limits, such as a regular expression that ran past its match timeout.</summary>
public sealed class TraceQLEvaluationException : Exception
{
    /// <summary>An evaluation failure.</summary>
    public TraceQLEvaluationException()
        : this("the TraceQL query could not be evaluated")
    {
    }

    /// <summary>An evaluation failure described by <paramref name="message"/>.</summary>
    public TraceQLEvaluationException(string message)
        : base(message)
    {
    }

    /// <summary>An evaluation failure caused by <paramref name="innerException"/>.</summary>
    public TraceQLEvaluationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
