// A small vocabulary of common English words. Most are one Llama 3 token each (with their leading
// space), so sentences built from them are English-like and size predictably in tokens.
export const WORDS: readonly string[] = (
  'time year people way day man thing woman life child world school state family student group country ' +
  'problem hand part place case week company system program question work government number night point ' +
  'home water room mother area money story fact month lot right study book eye job word business issue ' +
  'side kind head house service friend father power hour game line end member law car city community name ' +
  'president team minute idea kid body information back parent face others level office door health person ' +
  'art war history party result change morning reason research girl guy moment air teacher force education ' +
  'foot boy age policy process music market sense nation plan college interest death experience effect use ' +
  'class control care field development role effort rate heart drug show leader light voice wife police mind ' +
  'price report decision son view relationship town road arm difference value building action model season ' +
  'society tax director position player record paper space ground form event official matter center couple ' +
  'site project activity star table need court oil situation cost industry figure street image phone data ' +
  'picture practice piece land product doctor wall patient worker news test movie north love support ' +
  'technology step baby computer type attention film tree source organization hair window evidence ' +
  'population site cache memory block server request answer prefix router network cluster engine token ' +
  'good new first last long great little own other old right big high different small large next early young ' +
  'important few public bad same able local sure free better true whole clear recent certain personal open ' +
  'is was has had can will would could should may might must do does did make made get got go went know ' +
  'take see come think look want give find tell ask seem feel try leave call keep let begin help talk turn ' +
  'start show hear play run move like live believe hold bring happen write provide sit stand lose pay meet ' +
  'include continue set learn lead understand watch follow stop create speak read allow add spend grow offer ' +
  'the a an of to in for on with at by from about into over after between through during without under ' +
  'and or but so because if when while where how why what which who this that these those every each some ' +
  'very often also still just only even really quite again always never already almost perhaps together'
)
  .split(' ')
  .filter((w, i, all) => w.length > 0 && all.indexOf(w) === i);
