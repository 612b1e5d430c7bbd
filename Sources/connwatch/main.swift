import ConnwatchCore
import Foundation

await ConnwatchCommand.start()
