import ConnwatchCore
import Foundation

ConnwatchCommand.main()
