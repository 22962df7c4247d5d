namespace CartCrossSell.Engine.Merchandising;

/// <summary>
/// A title reduced to the words that name the product: lower case, split on anything that is not a letter, digit or
/// inner apostrophe,
/// variant words removed. Two families are near-duplicates when the word sets are equal, or when each has at most
/// <see cref="DiversityOptions.NearDuplicateMaxDifferingWords"/> words the other lacks and they share at least
/// <see cref="DiversityOptions.NearDuplicateMinSharedWords"/>.
/// </summary>
public sealed class TitleFamily
{
    private readonly HashSet<string> _words;

    private TitleFamily(HashSet<string> words) => _words = words;

    public IReadOnlySet<string> Words => _words;

    public static TitleFamily Of(string title, DiversityOptions options) => Of(title, options.LowerCaseVariantWords());

    /// <param name="variantWords">Lower-case variant words (<see cref="DiversityOptions.LowerCaseVariantWords"/>).</param>
    public static TitleFamily Of(string title, IReadOnlySet<string> variantWords)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= title.Length; i++)
        {
            // An apostrophe inside a word belongs to it ("50's" is one word).
            var inWord = i < title.Length && (char.IsLetterOrDigit(title[i])
                || (start >= 0 && title[i] is '\'' or '\u2019' && i + 1 < title.Length && char.IsLetterOrDigit(title[i + 1])));
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                var word = title[start..i].ToLowerInvariant();
                if (!variantWords.Contains(word)) words.Add(word);
                start = -1;
            }
        }
        return new TitleFamily(words);
    }

    public bool IsNearDuplicateOf(TitleFamily other, DiversityOptions options)
    {
        if (_words.Count == 0 || other._words.Count == 0) return false;
        if (_words.SetEquals(other._words)) return true;
        var shared = _words.Count(other._words.Contains);
        return shared >= options.NearDuplicateMinSharedWords
               && _words.Count - shared <= options.NearDuplicateMaxDifferingWords
               && other._words.Count - shared <= options.NearDuplicateMaxDifferingWords;
    }
}
